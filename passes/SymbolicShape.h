// Symbolic dimensions: integer polynomials over named symbols (the graph's
// dim_params such as "batch" and "seq"). They are exact for the arithmetic
// that shape subgraphs do (products, sums, constant division), so two dims
// compare equal exactly when they are the same expression.
#pragma once

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace attnc {

class SymDim {
public:
  // A monomial: symbol name -> exponent (sorted, so equal monomials compare equal).
  using Monomial = std::map<std::string, int>;

  SymDim() = default;
  static SymDim constant(int64_t value);
  static SymDim symbol(llvm::StringRef name);

  bool isConstant() const;
  std::optional<int64_t> getConstant() const;

  SymDim operator+(const SymDim &other) const;
  SymDim operator-(const SymDim &other) const;
  SymDim operator*(const SymDim &other) const;
  // Exact division by a constant or by a monomial that divides every term;
  // std::nullopt when the quotient is not a polynomial.
  std::optional<SymDim> divideExactly(const SymDim &divisor) const;

  bool operator==(const SymDim &other) const { return terms == other.terms; }
  bool operator!=(const SymDim &other) const { return !(*this == other); }

  void print(llvm::raw_ostream &os) const;
  std::string str() const;

private:
  void normalize();
  std::map<Monomial, int64_t> terms; // monomial -> coefficient, no zero entries
};

// A value's symbolic shape, or the symbolic contents of a small integer
// tensor (what Shape -> Gather -> Concat chains compute).
using SymVector = std::vector<SymDim>;

} // namespace attnc
