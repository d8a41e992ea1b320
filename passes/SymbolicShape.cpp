#include "passes/SymbolicShape.h"

namespace attnc {

SymDim SymDim::constant(int64_t value) {
  SymDim d;
  if (value != 0)
    d.terms[{}] = value;
  return d;
}

SymDim SymDim::symbol(llvm::StringRef name) {
  SymDim d;
  d.terms[{{name.str(), 1}}] = 1;
  return d;
}

bool SymDim::isConstant() const {
  return terms.empty() || (terms.size() == 1 && terms.begin()->first.empty());
}

std::optional<int64_t> SymDim::getConstant() const {
  if (terms.empty())
    return 0;
  if (isConstant())
    return terms.begin()->second;
  return std::nullopt;
}

void SymDim::normalize() {
  for (auto it = terms.begin(); it != terms.end();)
    it = it->second == 0 ? terms.erase(it) : std::next(it);
}

SymDim SymDim::operator+(const SymDim &other) const {
  SymDim r = *this;
  for (auto &[m, c] : other.terms)
    r.terms[m] += c;
  r.normalize();
  return r;
}

SymDim SymDim::operator-(const SymDim &other) const {
  return *this + other * constant(-1);
}

SymDim SymDim::operator*(const SymDim &other) const {
  SymDim r;
  for (auto &[m1, c1] : terms)
    for (auto &[m2, c2] : other.terms) {
      Monomial m = m1;
      for (auto &[s, e] : m2)
        m[s] += e;
      r.terms[m] += c1 * c2;
    }
  r.normalize();
  return r;
}

std::optional<SymDim> SymDim::divideExactly(const SymDim &divisor) const {
  if (divisor.terms.size() != 1)
    return std::nullopt;
  const auto &[dm, dc] = *divisor.terms.begin();
  if (dc == 0)
    return std::nullopt;
  SymDim r;
  for (auto &[m, c] : terms) {
    if (c % dc != 0)
      return std::nullopt;
    Monomial q = m;
    for (auto &[s, e] : dm) {
      auto it = q.find(s);
      if (it == q.end() || it->second < e)
        return std::nullopt;
      if ((it->second -= e) == 0)
        q.erase(it);
    }
    r.terms[q] += c / dc;
  }
  r.normalize();
  return r;
}

void SymDim::print(llvm::raw_ostream &os) const {
  if (terms.empty()) {
    os << 0;
    return;
  }
  bool first = true;
  for (auto &[m, c] : terms) {
    if (!first)
      os << (c < 0 ? " - " : " + ");
    else if (c < 0)
      os << "-";
    int64_t mag = c < 0 ? -c : c;
    bool printedCoeff = mag != 1 || m.empty();
    if (printedCoeff)
      os << mag;
    bool firstSym = !printedCoeff;
    for (auto &[s, e] : m) {
      os << (firstSym ? "" : "*") << s;
      if (e > 1)
        os << "^" << e;
      firstSym = false;
    }
    first = false;
  }
}

std::string SymDim::str() const {
  std::string s;
  llvm::raw_string_ostream os(s);
  print(os);
  return s;
}

} // namespace attnc
