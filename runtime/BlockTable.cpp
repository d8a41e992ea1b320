#include "runtime/BlockTable.h"

#include "runtime/Error.h"

#include <algorithm>
#include <string>

namespace attnrt {

KVCacheManager::KVCacheManager(std::int32_t pageSize,
                               const std::vector<CacheGroupConfig> &groups)
    : pageSize_(pageSize), groups_(groups) {
  if (pageSize <= 0)
    throw Error(ErrorCode::InvalidArgument,
                "page size must be positive, got " + std::to_string(pageSize));
  for (const CacheGroupConfig &group : groups) {
    if (group.window < 0)
      throw Error(ErrorCode::InvalidArgument,
                  "cache group window must be >= 0, got " + std::to_string(group.window));
    pools_.emplace_back(group.numPages);
  }
}

std::int64_t KVCacheManager::numTokens(SeqId seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : it->second.tokens;
}

const std::vector<std::int32_t> &KVCacheManager::table(SeqId seq, std::int32_t group) const {
  static const std::vector<std::int32_t> empty;
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? empty : it->second.tables.at(group);
}

std::int64_t KVCacheManager::pagesNeeded(SeqId seq, std::int64_t totalTokens,
                                         std::int32_t group) const {
  auto it = seqs_.find(seq);
  std::int64_t held = it == seqs_.end() ? 0 : static_cast<std::int64_t>(it->second.tables[group].size());
  return std::max<std::int64_t>(0, pagesFor(totalTokens) - held);
}

std::int64_t KVCacheManager::maxGrowth(SeqId seq, std::int64_t maxExtra) const {
  auto it = seqs_.find(seq);
  std::int64_t tokens = it == seqs_.end() ? 0 : it->second.tokens;
  std::int64_t best = maxExtra;
  for (std::int32_t g = 0; g < numGroups(); ++g) {
    std::int64_t held = it == seqs_.end() ? 0 : static_cast<std::int64_t>(it->second.tables[g].size());
    // Every table entry (released or not) covers page_size positions, so the
    // table can reach (held + free) pages, i.e. that many tokens in total.
    std::int64_t reachable = (held + pools_[g].numFree()) * pageSize_ - tokens;
    best = std::min(best, reachable);
  }
  return std::max<std::int64_t>(0, best);
}

bool KVCacheManager::grow(SeqId seq, std::int64_t totalTokens) {
  for (std::int32_t g = 0; g < numGroups(); ++g)
    if (pagesNeeded(seq, totalTokens, g) > pools_[g].numFree())
      return false;
  SeqTables &entry = seqs_[seq];
  if (entry.tables.empty()) {
    entry.tables.resize(groups_.size());
    entry.firstLive.assign(groups_.size(), 0);
  }
  for (std::int32_t g = 0; g < numGroups(); ++g) {
    std::vector<std::int32_t> &table = entry.tables[g];
    while (static_cast<std::int64_t>(table.size()) < pagesFor(totalTokens)) {
      std::optional<std::int32_t> page = pools_[g].allocate();
      if (!page) // checked above; reaching this means the pool bookkeeping broke
        throw Error(ErrorCode::Internal, "KV cache: pool of group " + std::to_string(g) +
                                             " ran out after the capacity check");
      table.push_back(*page);
    }
  }
  entry.tokens = std::max(entry.tokens, totalTokens);
  return true;
}

std::int32_t KVCacheManager::releaseOutsideWindow(SeqId seq, std::int64_t nextQueryPos) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end())
    return 0;
  std::int32_t released = 0;
  for (std::int32_t g = 0; g < numGroups(); ++g) {
    std::int64_t window = groups_[g].window;
    if (window == 0)
      continue;
    // Oldest key any future query can read; pages ending before it are dead.
    std::int64_t oldestVisible = nextQueryPos - window + 1;
    std::vector<std::int32_t> &table = it->second.tables[g];
    std::size_t &first = it->second.firstLive[g];
    while (first < table.size() &&
           static_cast<std::int64_t>(first + 1) * pageSize_ <= oldestVisible) {
      if (table[first] >= 0) {
        pools_[g].release(table[first]);
        table[first] = -1;
        ++released;
      }
      ++first;
    }
  }
  return released;
}

void KVCacheManager::sharePrefix(SeqId src, SeqId dst, std::int64_t numTokens) {
  auto srcIt = seqs_.find(src);
  if (srcIt == seqs_.end())
    throw Error(ErrorCode::Internal, "KV cache: sharePrefix from unknown sequence " +
                                         std::to_string(src));
  if (seqs_.count(dst) && seqs_[dst].tokens > 0)
    throw Error(ErrorCode::Internal, "KV cache: sharePrefix into sequence " +
                                         std::to_string(dst) + " that already holds pages");
  if (numTokens % pageSize_ != 0 || numTokens > srcIt->second.tokens)
    throw Error(ErrorCode::InvalidArgument,
                "KV cache: a shared prefix must be whole pages of the source: " +
                    std::to_string(numTokens) + " tokens, page size " +
                    std::to_string(pageSize_) + ", source holds " +
                    std::to_string(srcIt->second.tokens));
  std::size_t pages = static_cast<std::size_t>(numTokens / pageSize_);
  // Check first so that a refusal leaves no page retained.
  for (std::int32_t g = 0; g < numGroups(); ++g) {
    const std::vector<std::int32_t> &table = srcIt->second.tables[g];
    std::int64_t window = groups_[g].window;
    std::int64_t oldestNeeded = window == 0 ? 0 : std::max<std::int64_t>(0, numTokens - window + 1);
    for (std::size_t i = static_cast<std::size_t>(oldestNeeded / pageSize_); i < pages; ++i)
      if (table[i] < 0)
        throw Error(ErrorCode::InvalidArgument,
                    "KV cache: cannot share a prefix of " + std::to_string(numTokens) +
                        " tokens: page " + std::to_string(i) + " of cache group " +
                        std::to_string(g) + " already slid out of the window");
  }
  SeqTables copy;
  copy.tokens = numTokens;
  copy.tables.resize(groups_.size());
  copy.firstLive.assign(groups_.size(), 0);
  for (std::int32_t g = 0; g < numGroups(); ++g) {
    const std::vector<std::int32_t> &table = srcIt->second.tables[g];
    for (std::size_t i = 0; i < pages; ++i) {
      std::int32_t page = table[i];
      std::int64_t window = groups_[g].window;
      bool needed = window == 0 ||
                    static_cast<std::int64_t>(i + 1) * pageSize_ > numTokens - window + 1;
      if (page >= 0 && needed) {
        pools_[g].retain(page);
        copy.tables[g].push_back(page);
      } else {
        copy.tables[g].push_back(-1);
        if (copy.firstLive[g] == i)
          copy.firstLive[g] = i + 1;
      }
    }
  }
  seqs_[dst] = std::move(copy);
}

void KVCacheManager::free(SeqId seq) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end())
    return;
  for (std::int32_t g = 0; g < numGroups(); ++g)
    for (std::int32_t page : it->second.tables[g])
      if (page >= 0)
        pools_[g].release(page);
  seqs_.erase(it);
}

} // namespace attnrt
