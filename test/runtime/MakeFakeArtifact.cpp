// attnrt-make-fake-artifact DIR: writes a fake artifact for the attnc-run
// command-line tests.
#include <cstdint>
#include <cstdio>
#include <exception>
#include <string>

namespace attnrt_test {
void writeFakeArtifact(const std::string &dir, std::uint64_t weightsSeed, bool ownsCache = false);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: attnrt-make-fake-artifact DIR\n");
    return 2;
  }
  try {
    attnrt_test::writeFakeArtifact(argv[1], 1);
  } catch (const std::exception &e) {
    std::fprintf(stderr, "attnrt-make-fake-artifact: %s\n", e.what());
    return 1;
  }
  return 0;
}
