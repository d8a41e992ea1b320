#include "runtime/BlockTable.h"

#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <map>
#include <set>

namespace {

using attnrt::KVCacheManager;

// Every live page of every table is referenced exactly as often as tables
// hold it, and the pools' used counts agree.
void expectConsistent(const KVCacheManager &cache, const std::vector<attnrt::SeqId> &seqs) {
  for (std::int32_t g = 0; g < cache.numGroups(); ++g) {
    std::map<std::int32_t, int> holders;
    for (attnrt::SeqId seq : seqs)
      for (std::int32_t page : cache.table(seq, g))
        if (page >= 0)
          ++holders[page];
    for (auto [page, count] : holders)
      EXPECT_EQ(cache.allocator(g).refCount(page), count) << "group " << g << " page " << page;
    EXPECT_EQ(cache.allocator(g).numUsed(), static_cast<std::int32_t>(holders.size()))
        << "group " << g;
  }
}

TEST(BlockTable, GrowsOnePagePerPageSizeTokens) {
  KVCacheManager cache(4, {{0, 10}});
  EXPECT_TRUE(cache.grow(1, 1));
  EXPECT_EQ(cache.table(1, 0).size(), 1u);
  EXPECT_TRUE(cache.grow(1, 4));
  EXPECT_EQ(cache.table(1, 0).size(), 1u);
  EXPECT_TRUE(cache.grow(1, 5));
  EXPECT_EQ(cache.table(1, 0).size(), 2u);
  EXPECT_TRUE(cache.grow(1, 17));
  EXPECT_EQ(cache.table(1, 0).size(), 5u);
  EXPECT_EQ(cache.numTokens(1), 17);
  EXPECT_EQ(cache.pagesNeeded(1, 20, 0), 0);
  EXPECT_EQ(cache.pagesNeeded(1, 21, 0), 1);
  EXPECT_EQ(cache.pagesNeeded(2, 21, 0), 6);
  std::set<std::int32_t> pages(cache.table(1, 0).begin(), cache.table(1, 0).end());
  EXPECT_EQ(pages.size(), 5u) << "a page appears twice in one table";
  expectConsistent(cache, {1});
}

TEST(BlockTable, GrowIsAllOrNothingAcrossGroups) {
  KVCacheManager cache(4, {{0, 4}, {0, 2}});
  EXPECT_TRUE(cache.grow(1, 8)); // 2 pages in each group: group 1 is now full
  EXPECT_FALSE(cache.grow(2, 1));
  EXPECT_EQ(cache.allocator(0).numFree(), 2) << "a failed grow must not keep pages";
  EXPECT_TRUE(cache.table(2, 0).empty());
  EXPECT_EQ(cache.maxGrowth(1, 100), 0);
  EXPECT_EQ(cache.maxGrowth(2, 100), 0);
  cache.free(1);
  EXPECT_EQ(cache.maxGrowth(2, 100), 8);
  EXPECT_EQ(cache.maxGrowth(2, 5), 5);
  expectConsistent(cache, {1, 2});
}

TEST(BlockTable, MaxGrowthCountsTheRoomLeftInTheLastPage) {
  KVCacheManager cache(4, {{0, 3}});
  ASSERT_TRUE(cache.grow(1, 5)); // 2 pages, 3 free slots in the second
  EXPECT_EQ(cache.maxGrowth(1, 100), 3 + 4);
  EXPECT_TRUE(cache.grow(1, 12));
  EXPECT_FALSE(cache.grow(1, 13));
}

TEST(BlockTable, WindowedGroupReleasesPagesThatSlidOut) {
  // Group 0 full attention, group 1 window 6, page size 4.
  KVCacheManager cache(4, {{0, 16}, {6, 16}});
  ASSERT_TRUE(cache.grow(7, 12)); // positions 0..11, pages 0..2
  // The next query is at 12 and reads [7, 12]: page 0 ([0,4)) is dead, page 1
  // ([4,8)) still holds 7.
  EXPECT_EQ(cache.releaseOutsideWindow(7, 12), 1);
  const std::vector<std::int32_t> &windowed = cache.table(7, 1);
  ASSERT_EQ(windowed.size(), 3u);
  EXPECT_EQ(windowed[0], -1);
  EXPECT_GE(windowed[1], 0);
  EXPECT_EQ(cache.allocator(1).numUsed(), 2);
  for (std::int32_t page : cache.table(7, 0))
    EXPECT_GE(page, 0) << "full-attention pages must never be released";
  EXPECT_EQ(cache.allocator(0).numUsed(), 3);
  // Query 13 reads [8, 13]: page 1 dies too. Idempotent afterwards.
  EXPECT_EQ(cache.releaseOutsideWindow(7, 13), 1);
  EXPECT_EQ(cache.releaseOutsideWindow(7, 13), 0);
  EXPECT_EQ(cache.table(7, 1)[1], -1);
  expectConsistent(cache, {7});
}

TEST(BlockTable, KeepsExactlyThePagesTheWindowCanRead) {
  const int pageSize = 4, window = 6;
  KVCacheManager cache(pageSize, {{window, 64}});
  for (int tokens = 1; tokens <= 100; ++tokens) {
    ASSERT_TRUE(cache.grow(1, tokens));
    cache.releaseOutsideWindow(1, tokens);
    const std::vector<std::int32_t> &table = cache.table(1, 0);
    int oldest = std::max(0, tokens - window + 1); // next query reads [oldest, tokens]
    for (int page = 0; page < static_cast<int>(table.size()); ++page) {
      bool readable = (page + 1) * pageSize > oldest;
      EXPECT_EQ(table[page] >= 0, readable) << "tokens " << tokens << " page " << page;
    }
    // Bounded memory: a window of 6 never needs more than 3 pages here.
    ASSERT_LE(cache.allocator(0).numUsed(), 3);
  }
}

TEST(BlockTable, ReleasedWindowPagesAreReallyReused) {
  KVCacheManager cache(2, {{2, 3}}); // window 2, only 3 pages
  // One long sequence cycles through a tiny pool because pages are released.
  for (int tokens = 1; tokens <= 50; ++tokens) {
    ASSERT_TRUE(cache.grow(1, tokens)) << "pool ran out at " << tokens << " tokens";
    cache.releaseOutsideWindow(1, tokens);
  }
  EXPECT_EQ(cache.table(1, 0).size(), 25u);
  cache.free(1);
  EXPECT_EQ(cache.allocator(0).numFree(), 3);
}

TEST(BlockTable, FreeReturnsEverythingAndTablesAreDisjoint) {
  KVCacheManager cache(4, {{0, 20}, {5, 20}});
  ASSERT_TRUE(cache.grow(1, 13));
  ASSERT_TRUE(cache.grow(2, 9));
  ASSERT_TRUE(cache.grow(3, 16));
  for (std::int32_t g = 0; g < 2; ++g) {
    std::set<std::int32_t> all;
    std::size_t total = 0;
    for (attnrt::SeqId seq : {1, 2, 3}) {
      all.insert(cache.table(seq, g).begin(), cache.table(seq, g).end());
      total += cache.table(seq, g).size();
    }
    EXPECT_EQ(all.size(), total) << "two sequences share a page they did not ask to share";
  }
  cache.free(2);
  EXPECT_FALSE(cache.has(2));
  EXPECT_TRUE(cache.table(2, 0).empty());
  expectConsistent(cache, {1, 3});
  cache.free(1);
  cache.free(3);
  cache.free(3); // unknown: no-op
  EXPECT_EQ(cache.allocator(0).numFree(), 20);
  EXPECT_EQ(cache.allocator(1).numFree(), 20);
}

TEST(BlockTable, SharedPrefixPagesAreRefCountedAndOutliveTheSource) {
  KVCacheManager cache(4, {{0, 10}});
  ASSERT_TRUE(cache.grow(1, 10)); // pages for 0..9
  cache.sharePrefix(1, 2, 8);      // two whole pages
  ASSERT_EQ(cache.table(2, 0).size(), 2u);
  EXPECT_EQ(cache.table(2, 0)[0], cache.table(1, 0)[0]);
  EXPECT_EQ(cache.table(2, 0)[1], cache.table(1, 0)[1]);
  EXPECT_EQ(cache.allocator(0).refCount(cache.table(1, 0)[0]), 2);
  EXPECT_EQ(cache.allocator(0).numUsed(), 3);
  ASSERT_TRUE(cache.grow(2, 9)); // the child's own third page
  EXPECT_NE(cache.table(2, 0)[2], cache.table(1, 0)[2]);
  expectConsistent(cache, {1, 2});
  std::int32_t shared = cache.table(1, 0)[0];
  cache.free(1);
  EXPECT_EQ(cache.allocator(0).refCount(shared), 1) << "the child still reads it";
  cache.free(2);
  EXPECT_EQ(cache.allocator(0).numFree(), 10);
  // A partial page cannot be shared: the model appends into it.
  ASSERT_TRUE(cache.grow(3, 6));
  EXPECT_THROW(cache.sharePrefix(3, 4, 6), attnrt::Error);
  EXPECT_EQ(cache.allocator(0).numUsed(), 2);
}

TEST(BlockTable, RejectsBadConfiguration) {
  EXPECT_THROW(KVCacheManager(0, {{0, 1}}), attnrt::Error);
  EXPECT_THROW(KVCacheManager(4, {{-1, 1}}), attnrt::Error);
  EXPECT_THROW(KVCacheManager(4, {{0, -1}}), attnrt::Error);
}

} // namespace
