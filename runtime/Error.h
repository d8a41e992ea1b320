// The runtime's internal error type. Internals throw attnrt::Error; the C API
// (attnrt.h) catches it and turns the code into a status and the message into
// the caller's error buffer, so no exception ever crosses the C boundary.
#pragma once

#include <stdexcept>
#include <string>

namespace attnrt {

// Values match the ATTNRT_ERR_* codes of attnrt.h.
enum class ErrorCode : int {
  InvalidArgument = 1, // bad value from the caller (flag, token id, prompt length)
  Io = 2,              // a file cannot be opened, mapped or read
  Version = 3,         // artifact built by another attnc version / ABI
  Corrupt = 4,         // manifest or weights malformed, truncated or checksum mismatch
  Model = 5,           // libmodel.so failed (load, create or step)
  OutOfPages = 6,      // the KV page pool cannot hold a request
  NotFound = 7,        // unknown request id
  Internal = 8,        // a bug in the runtime
};

class Error : public std::runtime_error {
public:
  Error(ErrorCode code, const std::string &message)
      : std::runtime_error(message), code_(code) {}
  ErrorCode code() const { return code_; }

private:
  ErrorCode code_;
};

} // namespace attnrt
