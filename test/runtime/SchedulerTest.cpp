#include "runtime/Scheduler.h"

#include "runtime/Error.h"

#include <gtest/gtest.h>

#include <map>
#include <set>
#include <tuple>
#include <vector>

namespace {

using attnrt::SeqId;

// Drives a Scheduler the way the engine does, with a simulated model: each
// step "writes" (seq, position, token) into the slot its block table names,
// and a sampled token is a hash of every entry the query can see, read back
// through the tables (with the group's window). Any wrong table, early
// release or bad position changes the tokens or trips an assertion.
class Simulation {
public:
  struct Spec {
    std::vector<std::int32_t> prompt;
    int maxNewTokens = 8;
    bool wantPromptLogits = false;
    int joinAtStep = 0;
  };

  Simulation(std::int32_t pageSize, std::vector<attnrt::CacheGroupConfig> groups,
             std::int32_t maxBatchTokens, std::int32_t maxContext = 1000)
      : pageSize_(pageSize), cache_(pageSize, groups),
        scheduler_({maxBatchTokens, maxContext}, cache_), budget_(maxBatchTokens) {}

  void add(SeqId id, const Spec &spec) { specs_[id] = spec; }

  // Runs until every sequence is done; returns generated tokens per sequence.
  std::map<SeqId, std::vector<std::int32_t>> run() {
    std::map<SeqId, std::vector<std::int32_t>> out;
    for (int step = 0; step < 10000; ++step) {
      for (auto &[id, spec] : specs_)
        if (spec.joinAtStep == step) {
          scheduler_.add(id, spec.prompt, spec.wantPromptLogits);
          out[id];
        }
      if (scheduler_.numSequences() == 0 && step > lastJoin())
        return out;
      attnrt::StepPlan plan = scheduler_.schedule();
      for (auto &failure : plan.failed)
        failures[failure.seq] = failure.message;
      if (plan.empty())
        continue;
      checkPlan(plan);
      stepTokens.push_back(static_cast<int>(plan.tokenIds.size()));
      stepPlans.push_back(plan);
      write(plan);
      std::vector<std::int32_t> sampled;
      for (const attnrt::LogitRow &row : plan.logitRows) {
        std::int32_t value = read(row, plan);
        if (row.promptLogit)
          promptLogitPositions[row.seq].push_back(row.position);
        sampled.push_back(value);
      }
      scheduler_.commit(plan);
      for (std::size_t i = 0; i < plan.logitRows.size(); ++i) {
        const attnrt::LogitRow &row = plan.logitRows[i];
        if (!row.sample)
          continue;
        std::vector<std::int32_t> &tokens = out[row.seq];
        tokens.push_back(sampled[i]);
        if (static_cast<int>(tokens.size()) == specs_[row.seq].maxNewTokens)
          scheduler_.remove(row.seq);
        else
          scheduler_.appendToken(row.seq, sampled[i]);
      }
    }
    ADD_FAILURE() << "simulation did not finish";
    return out;
  }

  attnrt::Scheduler &scheduler() { return scheduler_; }
  attnrt::KVCacheManager &cache() { return cache_; }

  std::vector<int> stepTokens;
  std::vector<attnrt::StepPlan> stepPlans;
  std::map<SeqId, std::string> failures;
  std::map<SeqId, std::vector<std::int32_t>> promptLogitPositions;

private:
  int lastJoin() const {
    int last = 0;
    for (auto &[id, spec] : specs_)
      last = std::max(last, spec.joinAtStep);
    return last;
  }

  void checkPlan(const attnrt::StepPlan &plan) {
    ASSERT_LE(static_cast<int>(plan.tokenIds.size()), budget_) << "step exceeds the token budget";
    ASSERT_EQ(plan.queryStart.size(), plan.seqs.size() + 1);
    std::set<SeqId> unique(plan.seqs.begin(), plan.seqs.end());
    ASSERT_EQ(unique.size(), plan.seqs.size()) << "a sequence appears twice in one step";
    for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
      // No page appears in two sequences' tables in one step (no sharing here).
      std::set<std::int32_t> pages;
      std::size_t live = 0;
      for (std::int32_t page : plan.blockTables[g])
        if (page >= 0) {
          pages.insert(page);
          ++live;
        }
      ASSERT_EQ(pages.size(), live) << "page in two tables of group " << g;
    }
  }

  void write(const attnrt::StepPlan &plan) {
    for (std::size_t s = 0; s < plan.seqs.size(); ++s)
      for (std::int32_t i = plan.queryStart[s]; i < plan.queryStart[s + 1]; ++i) {
        std::int32_t pos = plan.positions[i];
        for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
          std::int32_t page = plan.blockTables[g][s * plan.blocksPerSeq + pos / pageSize_];
          ASSERT_GE(page, 0) << "append into a released page";
          store_[{g, page, pos % pageSize_}] = {plan.seqs[s], pos, plan.tokenIds[i]};
        }
      }
  }

  std::int32_t read(const attnrt::LogitRow &row, const attnrt::StepPlan &plan) {
    std::uint64_t h = 1469598103934665603ull;
    for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
      std::int32_t window = cache_.window(g);
      std::int32_t first = window ? std::max(0, row.position - window + 1) : 0;
      for (std::int32_t j = first; j <= row.position; ++j) {
        std::int32_t page = plan.blockTables[g][row.batchIndex * plan.blocksPerSeq + j / pageSize_];
        EXPECT_GE(page, 0) << "read of a released page: seq " << row.seq << " pos " << j;
        if (page < 0)
          return -1;
        auto [seq, pos, token] = store_[{g, page, j % pageSize_}];
        EXPECT_EQ(seq, row.seq) << "slot holds another sequence's entry";
        EXPECT_EQ(pos, j) << "slot holds another position";
        h = (h ^ static_cast<std::uint64_t>(token * 131 + j + g * 7919)) * 1099511628211ull;
      }
    }
    return static_cast<std::int32_t>(h % 1000);
  }

  std::int32_t pageSize_;
  attnrt::KVCacheManager cache_;
  attnrt::Scheduler scheduler_;
  int budget_;
  std::map<SeqId, Spec> specs_;
  std::map<std::tuple<int, int, int>, std::tuple<SeqId, int, int>> store_;
};

std::vector<std::int32_t> prompt(int length, int salt) {
  std::vector<std::int32_t> tokens;
  for (int i = 0; i < length; ++i)
    tokens.push_back((i * 37 + salt * 101) % 1000);
  return tokens;
}

// What a sequence generates when it is the only one, with ample pages. The
// groups are those of the batched run (window 0: one full-attention group).
std::vector<std::int32_t> alone(const Simulation::Spec &spec, std::int32_t window) {
  std::vector<attnrt::CacheGroupConfig> groups = {{0, 1000}};
  if (window)
    groups.push_back({window, 1000});
  Simulation sim(4, groups, 64);
  Simulation::Spec solo = spec;
  solo.joinAtStep = 0;
  sim.add(1, solo);
  return sim.run()[1];
}

TEST(Scheduler, ChunkedPrefillRespectsTheTokenBudget) {
  Simulation sim(4, {{0, 100}}, 16);
  sim.add(1, {prompt(50, 1), 3});
  auto out = sim.run();
  // 50 prompt tokens in chunks of 16, then decodes of one token.
  std::vector<int> expected = {16, 16, 16, 2, 1, 1};
  EXPECT_EQ(sim.stepTokens, expected);
  EXPECT_EQ(out[1].size(), 3u);
  EXPECT_EQ(out[1], alone({prompt(50, 1), 3}, 0));
}

TEST(Scheduler, DecodesComeFirstAndPrefillTakesTheRestOfTheBudget) {
  Simulation sim(4, {{0, 200}}, 10);
  sim.add(1, {prompt(3, 1), 20});
  sim.add(2, {prompt(3, 2), 20});
  sim.add(3, {prompt(40, 3), 2, false, 3});
  sim.run();
  // Step 0 prefills 1 and 2; from step 1 they decode. Seq 3 joins at step 3
  // and gets 10 - 2 = 8 tokens per step behind the two decodes.
  const attnrt::StepPlan &joined = sim.stepPlans[3];
  ASSERT_EQ(joined.seqs.size(), 3u);
  EXPECT_EQ(joined.seqs[0], 1);
  EXPECT_EQ(joined.seqs[1], 2);
  EXPECT_EQ(joined.seqs[2], 3);
  EXPECT_EQ(joined.queryStart[1] - joined.queryStart[0], 1);
  EXPECT_EQ(joined.queryStart[2] - joined.queryStart[1], 1);
  EXPECT_EQ(joined.queryStart[3] - joined.queryStart[2], 8);
  for (int tokens : sim.stepTokens)
    EXPECT_LE(tokens, 10);
}

TEST(Scheduler, SequencesJoiningAndLeavingProduceTheirSoloTokens) {
  const std::int32_t window = 6;
  Simulation sim(4, {{0, 400}, {window, 400}}, 24);
  std::map<SeqId, Simulation::Spec> specs;
  for (int i = 0; i < 8; ++i)
    specs[i + 1] = {prompt(3 + i * 7, i), 4 + (i * 5) % 13, false, i * 2};
  for (auto &[id, spec] : specs)
    sim.add(id, spec);
  auto out = sim.run();
  for (auto &[id, spec] : specs)
    EXPECT_EQ(out[id], alone(spec, window)) << "sequence " << id;
  EXPECT_EQ(sim.cache().allocator(0).numFree(), 400) << "pages leaked";
  EXPECT_EQ(sim.cache().allocator(1).numFree(), 400) << "window pages leaked";
}

TEST(Scheduler, PreemptionByRecomputeReproducesTheSameTokens) {
  const std::int32_t window = 6;
  // 12 pages of 4 tokens: three sequences growing to ~30 tokens cannot coexist.
  Simulation sim(4, {{0, 12}, {window, 12}}, 16);
  std::map<SeqId, Simulation::Spec> specs = {
      {1, {prompt(10, 1), 20}}, {2, {prompt(12, 2), 18}}, {3, {prompt(6, 3), 22, false, 1}}};
  for (auto &[id, spec] : specs)
    sim.add(id, spec);
  auto out = sim.run();
  EXPECT_GT(sim.scheduler().numPreemptions(), 0) << "the pool was meant to force preemption";
  EXPECT_TRUE(sim.failures.empty());
  for (auto &[id, spec] : specs)
    EXPECT_EQ(out[id], alone(spec, window)) << "sequence " << id;
  EXPECT_EQ(sim.cache().allocator(0).numFree(), 12);
  EXPECT_EQ(sim.cache().allocator(1).numFree(), 12);
}

// Random workloads on random small pools: every sequence that does not fail
// generates exactly its solo tokens, and no page leaks.
TEST(Scheduler, RandomWorkloadsMatchSoloRuns) {
  std::uint64_t state = 99;
  auto next = [&](int bound) {
    state = state * 6364136223846793005ull + 1442695040888963407ull;
    return static_cast<int>((state >> 33) % static_cast<std::uint64_t>(bound));
  };
  std::int64_t preemptions = 0;
  for (int trial = 0; trial < 40; ++trial) {
    const std::int32_t window = 1 + next(9);
    const std::int32_t pages = 8 + next(20);
    const std::int32_t budget = 1 + next(24);
    Simulation sim(4, {{0, pages}, {window, pages}}, budget);
    std::map<SeqId, Simulation::Spec> specs;
    const int count = 1 + next(8);
    for (int i = 0; i < count; ++i)
      specs[i + 1] = {prompt(1 + next(30), trial * 10 + i), 1 + next(20), next(2) == 1, next(12)};
    for (auto &[id, spec] : specs)
      sim.add(id, spec);
    auto out = sim.run();
    for (auto &[id, spec] : specs) {
      if (sim.failures.count(id)) {
        // Only a sequence larger than the whole pool may fail.
        EXPECT_GT(static_cast<int>(spec.prompt.size()) + spec.maxNewTokens, pages * 4 - 4)
            << "trial " << trial << " sequence " << id << ": " << sim.failures[id];
        continue;
      }
      ASSERT_EQ(out[id], alone(spec, window)) << "trial " << trial << " sequence " << id;
    }
    EXPECT_EQ(sim.cache().allocator(0).numUsed(), 0) << "trial " << trial;
    EXPECT_EQ(sim.cache().allocator(1).numUsed(), 0) << "trial " << trial;
    preemptions += sim.scheduler().numPreemptions();
  }
  EXPECT_GT(preemptions, 0) << "the random pools never forced a preemption";
}

TEST(Scheduler, PreemptedSequenceIsTheMostRecentlyAdmitted) {
  Simulation sim(2, {{0, 6}}, 8);
  sim.add(1, {prompt(4, 1), 6});
  sim.add(2, {prompt(4, 2), 6});
  sim.add(3, {prompt(3, 3), 6});
  sim.run();
  bool sawPreemption = false;
  for (const attnrt::StepPlan &plan : sim.stepPlans)
    for (SeqId victim : plan.preempted) {
      sawPreemption = true;
      EXPECT_NE(victim, 1) << "the oldest sequence must be the last to be preempted";
    }
  EXPECT_TRUE(sawPreemption);
}

TEST(Scheduler, ARequestThatCanNeverFitFailsAndTheOthersFinish) {
  // 8 pages of 4 tokens = 32 tokens; sequence 2 would need 10 + 40 tokens.
  Simulation sim(4, {{0, 8}}, 16);
  sim.add(1, {prompt(5, 1), 6});
  sim.add(2, {prompt(10, 2), 40});
  sim.add(3, {prompt(7, 3), 5, false, 2});
  auto out = sim.run();
  ASSERT_EQ(sim.failures.count(2), 1u);
  EXPECT_NE(sim.failures[2].find("KV pages exhausted"), std::string::npos) << sim.failures[2];
  EXPECT_EQ(out[1], alone({prompt(5, 1), 6}, 0));
  EXPECT_EQ(out[3], alone({prompt(7, 3), 5}, 0));
  EXPECT_EQ(sim.cache().allocator(0).numFree(), 8);
}

TEST(Scheduler, WindowedLayersRunInAPoolSmallerThanTheSequence) {
  // Full-attention group has room; the windowed group has 4 pages (16 tokens)
  // but the sequence reaches 60 tokens: only released pages make that work.
  Simulation sim(4, {{0, 20}, {5, 4}}, 4);
  // (The solo run below uses the same groups with ample pages.)
  sim.add(1, {prompt(30, 1), 30});
  auto out = sim.run();
  EXPECT_TRUE(sim.failures.empty()) << sim.failures.begin()->second;
  EXPECT_EQ(out[1], alone({prompt(30, 1), 30}, 5));
}

TEST(Scheduler, EveryPromptLogitIsProducedOnceDespiteChunksAndPreemption) {
  Simulation sim(4, {{0, 10}}, 8);
  sim.add(1, {prompt(9, 1), 20, true});
  sim.add(2, {prompt(13, 2), 10, true});
  sim.run();
  EXPECT_GT(sim.scheduler().numPreemptions(), 0);
  for (SeqId id : {1, 2}) {
    std::vector<std::int32_t> expected;
    for (int p = 0; p < (id == 1 ? 9 : 13); ++p)
      expected.push_back(p);
    EXPECT_EQ(sim.promptLogitPositions[id], expected) << "sequence " << id;
  }
}

TEST(Scheduler, RejectsRequestsThatCanNeverRun) {
  attnrt::KVCacheManager cache(4, {{0, 4}, {3, 1}});
  attnrt::Scheduler scheduler({16, 20}, cache);
  EXPECT_THROW(scheduler.add(1, {}, false), attnrt::Error);
  try {
    scheduler.add(2, std::vector<std::int32_t>(21, 1), false);
    ADD_FAILURE() << "a prompt longer than the context was accepted";
  } catch (const attnrt::Error &e) {
    EXPECT_EQ(e.code(), attnrt::ErrorCode::InvalidArgument);
    EXPECT_NE(std::string(e.what()).find("21"), std::string::npos) << e.what();
  }
  try {
    scheduler.add(3, std::vector<std::int32_t>(17, 1), false); // 5 pages > 4
    ADD_FAILURE() << "a prompt larger than the pool was accepted";
  } catch (const attnrt::Error &e) {
    EXPECT_EQ(e.code(), attnrt::ErrorCode::OutOfPages);
  }
  EXPECT_EQ(scheduler.numSequences(), 0u);
  EXPECT_THROW(attnrt::Scheduler({0, 20}, cache), attnrt::Error);
}

TEST(Scheduler, BlockTablesShareOneStrideAndPadWithMinusOne) {
  Simulation sim(2, {{0, 50}}, 32);
  sim.add(1, {prompt(9, 1), 1});
  sim.add(2, {prompt(2, 2), 1});
  sim.run();
  const attnrt::StepPlan &plan = sim.stepPlans[0];
  ASSERT_EQ(plan.seqs.size(), 2u);
  EXPECT_EQ(plan.blocksPerSeq, 5);
  ASSERT_EQ(plan.blockTables[0].size(), 10u);
  EXPECT_GE(plan.blockTables[0][5], 0);
  for (int i = 6; i < 10; ++i)
    EXPECT_EQ(plan.blockTables[0][i], -1);
  EXPECT_EQ(plan.contextLen, (std::vector<std::int32_t>{9, 2}));
  // Sampling rows: the last token of each completed prompt.
  ASSERT_EQ(plan.logitTokens.size(), 2u);
  EXPECT_EQ(plan.logitTokens[0], 8);
  EXPECT_EQ(plan.logitTokens[1], 10);
}

// The step after one that samples every running sequence, planned before its
// tokens are known: the decode of each with a placeholder, no admission, no
// preemption; anything else is refused with nothing changed but the commit.
TEST(Scheduler, AStepPlannedAheadIsTheDecodeOfEveryRunningSequenceOrNothing) {
  attnrt::KVCacheManager cache(4, {{0, 6}});
  attnrt::Scheduler scheduler({16, 100}, cache);
  scheduler.add(1, prompt(6, 1), false);
  scheduler.add(2, prompt(3, 2), false);
  attnrt::StepPlan prefill = scheduler.schedule();
  ASSERT_EQ(prefill.seqs.size(), 2u);
  attnrt::StepPlan ahead = scheduler.scheduleAhead(prefill, /*placeholder=*/-7);
  ASSERT_EQ(ahead.seqs, prefill.seqs);
  EXPECT_EQ(ahead.tokenIds, (std::vector<std::int32_t>{-7, -7}));
  EXPECT_EQ(ahead.positions, (std::vector<std::int32_t>{6, 3}));
  EXPECT_EQ(ahead.contextLen, (std::vector<std::int32_t>{7, 4}));
  ASSERT_EQ(ahead.logitRows.size(), 2u);
  EXPECT_TRUE(ahead.logitRows[0].sample && ahead.logitRows[1].sample);
  EXPECT_EQ(scheduler.numCached(1), 6); // the prefill is committed
  EXPECT_EQ(scheduler.tokens(1).back(), -7);
  scheduler.setLastToken(1, 11);
  scheduler.setLastToken(2, 12);
  EXPECT_EQ(scheduler.tokens(2).back(), 12);
  // Sequence 1 now holds pages 0-1, sequence 2 page 2 (7 and 4 tokens).
  EXPECT_EQ(cache.allocator(0).numUsed(), 3);

  // A waiting sequence: the next step admits it, so nothing is planned ahead
  // (the commit alone happened).
  scheduler.add(3, prompt(2, 3), false);
  attnrt::StepPlan refused = scheduler.scheduleAhead(ahead, -7);
  EXPECT_TRUE(refused.empty());
  EXPECT_EQ(scheduler.numCached(1), 7);
  EXPECT_EQ(scheduler.tokens(1).size(), 7u); // no placeholder
  scheduler.remove(3);

  // Decodes planned ahead one after another until the pool (6 pages of 4
  // tokens) cannot hold both sequences' next tokens: refused then, without
  // preempting (the normal schedule() decides that).
  scheduler.appendToken(1, 21);
  scheduler.appendToken(2, 22);
  attnrt::StepPlan current = scheduler.schedule();
  ASSERT_EQ(current.seqs.size(), 2u);
  int planned = 0;
  for (;;) {
    attnrt::StepPlan next = scheduler.scheduleAhead(current, -7);
    if (next.empty())
      break;
    ++planned;
    scheduler.setLastToken(1, 30 + planned);
    scheduler.setLastToken(2, 40 + planned);
    current = std::move(next);
    ASSERT_LT(planned, 20);
  }
  // 8 and 5 tokens cached after `current` first; ahead to 12 and 9 (3 + 3
  // pages), and 13 and 10 would need 4 + 3.
  EXPECT_EQ(planned, 4);
  EXPECT_EQ(scheduler.numCached(1), 12);
  EXPECT_EQ(scheduler.tokens(1).size(), 12u);
  EXPECT_EQ(cache.allocator(0).numUsed(), 6);
  EXPECT_EQ(scheduler.numPreemptions(), 0);
}

} // namespace
