// A fixed pool of KV-cache pages for one cache group, with reference counts.
// A page is free (count 0) or held by one or more block tables; sequences that
// share a prefix retain the same pages instead of copying them.
#pragma once

#include <cstdint>
#include <optional>
#include <vector>

namespace attnrt {

class PageAllocator {
public:
  explicit PageAllocator(std::int32_t numPages);

  // A free page with reference count 1, or nullopt when the pool is exhausted.
  std::optional<std::int32_t> allocate();
  // Adds a reference to an allocated page. Throws attnrt::Error (Internal) for
  // an id outside the pool or a free page: that is always a runtime bug.
  void retain(std::int32_t page);
  // Drops a reference; returns true when that was the last one and the page is
  // free again. Throws attnrt::Error (Internal) on a free or unknown page, so a
  // double release is caught where it happens.
  bool release(std::int32_t page);

  std::int32_t numPages() const { return static_cast<std::int32_t>(refCounts_.size()); }
  std::int32_t numFree() const { return static_cast<std::int32_t>(freeList_.size()); }
  std::int32_t numUsed() const { return numPages() - numFree(); }
  std::int32_t refCount(std::int32_t page) const;

private:
  void checkAllocated(std::int32_t page, const char *operation) const;

  std::vector<std::int32_t> refCounts_;
  // Stack of free page ids: the most recently released page is reused first,
  // which keeps the working set of pages small and warm in cache.
  std::vector<std::int32_t> freeList_;
};

} // namespace attnrt
