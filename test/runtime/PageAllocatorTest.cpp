#include "runtime/PageAllocator.h"

#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <random>
#include <set>
#include <vector>

namespace {

using attnrt::PageAllocator;

TEST(PageAllocator, HandsOutEveryPageOnceThenReportsExhaustion) {
  PageAllocator pool(8);
  std::set<std::int32_t> seen;
  for (int i = 0; i < 8; ++i) {
    std::optional<std::int32_t> page = pool.allocate();
    ASSERT_TRUE(page);
    EXPECT_GE(*page, 0);
    EXPECT_LT(*page, 8);
    EXPECT_TRUE(seen.insert(*page).second) << "page " << *page << " handed out twice";
    EXPECT_EQ(pool.refCount(*page), 1);
  }
  EXPECT_EQ(pool.numFree(), 0);
  EXPECT_FALSE(pool.allocate());
  EXPECT_FALSE(pool.allocate()); // stays exhausted, no corruption
  EXPECT_EQ(pool.numUsed(), 8);
}

TEST(PageAllocator, ReleasedPagesAreReused) {
  PageAllocator pool(2);
  std::int32_t a = *pool.allocate();
  std::int32_t b = *pool.allocate();
  EXPECT_TRUE(pool.release(a));
  EXPECT_EQ(pool.refCount(a), 0);
  EXPECT_EQ(pool.allocate(), a);
  EXPECT_FALSE(pool.allocate());
  EXPECT_TRUE(pool.release(b));
  EXPECT_EQ(pool.numFree(), 1);
}

TEST(PageAllocator, SharedPageIsFreedByItsLastRelease) {
  PageAllocator pool(1);
  std::int32_t page = *pool.allocate();
  pool.retain(page);
  pool.retain(page);
  EXPECT_EQ(pool.refCount(page), 3);
  EXPECT_FALSE(pool.release(page));
  EXPECT_FALSE(pool.release(page));
  EXPECT_EQ(pool.numFree(), 0);
  EXPECT_FALSE(pool.allocate()) << "a page still referenced must not be handed out";
  EXPECT_TRUE(pool.release(page));
  EXPECT_EQ(pool.numFree(), 1);
}

TEST(PageAllocator, MisuseIsCaughtNotSilentlyCorrupting) {
  PageAllocator pool(2);
  std::int32_t page = *pool.allocate();
  EXPECT_TRUE(pool.release(page));
  EXPECT_THROW(pool.release(page), attnrt::Error);   // double release
  EXPECT_THROW(pool.retain(page), attnrt::Error);    // retain of a free page
  EXPECT_THROW(pool.release(7), attnrt::Error);      // outside the pool
  EXPECT_THROW(pool.release(-1), attnrt::Error);
  EXPECT_EQ(pool.numFree(), 2);
  EXPECT_THROW(PageAllocator(-1), attnrt::Error);
  PageAllocator empty(0);
  EXPECT_FALSE(empty.allocate());
}

// Random allocate/retain/release against a reference model of the counts.
TEST(PageAllocator, RandomOperationsKeepCountsConsistent) {
  constexpr int kPages = 16;
  PageAllocator pool(kPages);
  std::vector<int> expected(kPages, 0);
  std::mt19937 rng(1234);
  for (int iter = 0; iter < 20000; ++iter) {
    int op = static_cast<int>(rng() % 3);
    if (op == 0) {
      std::optional<std::int32_t> page = pool.allocate();
      int freeExpected = 0;
      for (int c : expected)
        freeExpected += c == 0;
      ASSERT_EQ(page.has_value(), freeExpected > 0);
      if (page) {
        ASSERT_EQ(expected[*page], 0) << "allocated a page that is in use";
        expected[*page] = 1;
      }
    } else {
      int page = static_cast<int>(rng() % kPages);
      if (expected[page] == 0)
        continue;
      if (op == 1) {
        pool.retain(page);
        ++expected[page];
      } else {
        ASSERT_EQ(pool.release(page), expected[page] == 1);
        --expected[page];
      }
    }
    int used = 0;
    for (int p = 0; p < kPages; ++p) {
      ASSERT_EQ(pool.refCount(p), expected[p]);
      used += expected[p] > 0;
    }
    ASSERT_EQ(pool.numUsed(), used);
  }
}

} // namespace
