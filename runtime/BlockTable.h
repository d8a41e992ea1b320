// Per-sequence block tables over the page pools of every cache group.
//
// Layers are partitioned into cache groups (ModelABI.h); each group has its own
// page pool and each sequence one block table per group. Entry i of a table is
// the page holding the sequence's tokens [i * page_size, (i + 1) * page_size).
// For a group with a sliding window of w tokens, a query at position q reads
// keys [q - w + 1, q] only, so once the next query position is q the pages
// entirely below q - w + 1 are released and their entries become -1 (tables
// keep their length so logical page indices stay positional).
#pragma once

#include "runtime/PageAllocator.h"

#include <cstdint>
#include <unordered_map>
#include <vector>

namespace attnrt {

using SeqId = std::int64_t;

struct CacheGroupConfig {
  std::int32_t window = 0;   // tokens, current included; 0 = full attention
  std::int32_t numPages = 0; // size of this group's page pool
};

class KVCacheManager {
public:
  KVCacheManager(std::int32_t pageSize, const std::vector<CacheGroupConfig> &groups);

  std::int32_t pageSize() const { return pageSize_; }
  std::int32_t numGroups() const { return static_cast<std::int32_t>(groups_.size()); }
  std::int32_t window(std::int32_t group) const { return groups_.at(group).window; }
  const PageAllocator &allocator(std::int32_t group) const { return pools_.at(group); }

  // Pages of each group `seq` still has to allocate to hold `totalTokens`
  // tokens (an unknown sequence holds none).
  std::int64_t pagesNeeded(SeqId seq, std::int64_t totalTokens, std::int32_t group) const;
  // Largest n in [0, maxExtra] such that `seq` can grow by n tokens with the
  // pages that are free now, in every group.
  std::int64_t maxGrowth(SeqId seq, std::int64_t maxExtra) const;
  // Allocates the pages `seq` needs to hold `totalTokens` tokens in every
  // group; creates the sequence's tables on first use. All or nothing: returns
  // false (and allocates nothing) when some pool cannot supply them.
  bool grow(SeqId seq, std::int64_t totalTokens);
  // Releases, in windowed groups, the pages no query at position >=
  // nextQueryPos can read. Returns how many pages were released.
  std::int32_t releaseOutsideWindow(SeqId seq, std::int64_t nextQueryPos);
  // Makes `dst` (which must hold no pages yet) share the pages of the first
  // `numTokens` tokens of `src`: the pages are retained, not copied.
  // `numTokens` must be a multiple of the page size, because the model appends
  // into the last page of a table and a shared partial page would be
  // overwritten. Throws attnrt::Error when a needed page was already released.
  void sharePrefix(SeqId src, SeqId dst, std::int64_t numTokens);
  // Releases every page of `seq` and forgets it (no-op for unknown sequences).
  void free(SeqId seq);

  bool has(SeqId seq) const { return seqs_.count(seq) != 0; }
  // Tokens the sequence's pages cover.
  std::int64_t numTokens(SeqId seq) const;
  // The block table of `seq` for `group` (empty for unknown sequences).
  const std::vector<std::int32_t> &table(SeqId seq, std::int32_t group) const;

private:
  struct SeqTables {
    std::int64_t tokens = 0;
    std::vector<std::vector<std::int32_t>> tables;   // [group][logical page]
    std::vector<std::size_t> firstLive;              // [group] first unreleased entry
  };
  std::int64_t pagesFor(std::int64_t tokens) const {
    return (tokens + pageSize_ - 1) / pageSize_;
  }

  std::int32_t pageSize_;
  std::vector<CacheGroupConfig> groups_;
  std::vector<PageAllocator> pools_;
  std::unordered_map<SeqId, SeqTables> seqs_;
};

} // namespace attnrt
