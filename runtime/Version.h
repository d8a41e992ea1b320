// The one attnc version string. The compiler writes it into every manifest and
// into libmodel.so; the runtime refuses artifacts whose version differs,
// because the manifest schema and the generated code may change with it.
#pragma once

#define ATTNC_VERSION_STRING "0.1.0"

#ifdef __cplusplus
namespace attnrt {
inline constexpr const char *kAttncVersion = ATTNC_VERSION_STRING;
} // namespace attnrt
#endif
