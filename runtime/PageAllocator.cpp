#include "runtime/PageAllocator.h"

#include "runtime/Error.h"

#include <string>

namespace attnrt {

PageAllocator::PageAllocator(std::int32_t numPages) {
  if (numPages < 0)
    throw Error(ErrorCode::InvalidArgument,
                "page pool size must be >= 0, got " + std::to_string(numPages));
  refCounts_.assign(static_cast<std::size_t>(numPages), 0);
  freeList_.reserve(static_cast<std::size_t>(numPages));
  // Pushed in reverse so that a fresh pool hands out pages 0, 1, 2, ...
  for (std::int32_t page = numPages - 1; page >= 0; --page)
    freeList_.push_back(page);
}

std::optional<std::int32_t> PageAllocator::allocate() {
  if (freeList_.empty())
    return std::nullopt;
  std::int32_t page = freeList_.back();
  freeList_.pop_back();
  refCounts_[static_cast<std::size_t>(page)] = 1;
  return page;
}

void PageAllocator::checkAllocated(std::int32_t page, const char *operation) const {
  if (page < 0 || page >= numPages())
    throw Error(ErrorCode::Internal, std::string("page allocator: ") + operation +
                                         " of page " + std::to_string(page) +
                                         " outside the pool of " +
                                         std::to_string(numPages()) + " pages");
  if (refCounts_[static_cast<std::size_t>(page)] == 0)
    throw Error(ErrorCode::Internal, std::string("page allocator: ") + operation +
                                         " of free page " + std::to_string(page));
}

void PageAllocator::retain(std::int32_t page) {
  checkAllocated(page, "retain");
  ++refCounts_[static_cast<std::size_t>(page)];
}

bool PageAllocator::release(std::int32_t page) {
  checkAllocated(page, "release");
  if (--refCounts_[static_cast<std::size_t>(page)] > 0)
    return false;
  freeList_.push_back(page);
  return true;
}

std::int32_t PageAllocator::refCount(std::int32_t page) const {
  if (page < 0 || page >= numPages())
    return 0;
  return refCounts_[static_cast<std::size_t>(page)];
}

} // namespace attnrt
