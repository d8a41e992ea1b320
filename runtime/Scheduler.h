// Continuous batching over the paged KV cache.
//
// Sequences join (add) and leave (remove) between steps. Each step is built
// in this order, all under `maxBatchTokens` tokens:
//   1. decodes: running sequences with exactly one token not yet in the cache,
//      in admission order;
//   2. chunked prefill of running sequences admitted earlier but not fully
//      prefilled;
//   3. admission of waiting sequences (FIFO), each with the chunk that the
//      remaining token budget and the free pages allow.
// Only what the page pools can hold is scheduled: pages for a step's tokens
// are allocated when the step is built. When a decode cannot get its page,
// the most recently admitted running sequence is preempted by recompute: its
// pages are freed and it waits at the head of the queue to be prefilled again
// with its prompt plus the tokens generated so far. A sequence that cannot fit
// even with the whole pool to itself fails with a clear message (StepPlan::
// failed) and the others continue.
#pragma once

#include "runtime/BlockTable.h"

#include <cstdint>
#include <deque>
#include <string>
#include <unordered_map>
#include <vector>

namespace attnrt {

struct SchedulerConfig {
  std::int32_t maxBatchTokens = 0; // tokens per step, > 0
  std::int32_t maxContext = 0;     // longest sequence (prompt + generated), > 0
};

// A row of the step's logits and why it was requested.
struct LogitRow {
  std::int32_t batchIndex = 0; // index of the sequence in StepPlan::seqs
  SeqId seq = 0;
  std::int32_t position = 0;   // position of the token whose logits these are
  bool promptLogit = false;    // logits of a prompt position the request asked for
  bool sample = false;         // the sequence's next token is sampled from this row
};

struct SequenceFailure {
  SeqId seq;
  std::string message;
};

// One step, ready to be handed to the model (arrays as in attnc_step_args).
struct StepPlan {
  std::vector<SeqId> seqs;                 // [S]
  std::vector<std::int32_t> tokenIds;      // [T]
  std::vector<std::int32_t> positions;     // [T]
  std::vector<std::int32_t> queryStart;    // [S + 1]
  std::vector<std::int32_t> contextLen;    // [S]
  std::int32_t blocksPerSeq = 0;
  std::vector<std::vector<std::int32_t>> blockTables; // [groups][S * blocksPerSeq]
  std::vector<std::int32_t> logitTokens;   // [num_logits] indices into 0..T-1
  std::vector<LogitRow> logitRows;         // [num_logits]
  // Sequences removed while building this step because they can never fit;
  // they are forgotten by the scheduler (their pages are free).
  std::vector<SequenceFailure> failed;
  std::vector<SeqId> preempted;            // preempted while building this step

  bool empty() const { return tokenIds.empty(); }
};

class Scheduler {
public:
  Scheduler(const SchedulerConfig &config, KVCacheManager &cache);

  // Queues a sequence. Throws attnrt::Error for an empty prompt, a prompt
  // longer than the context (InvalidArgument) or one whose pages exceed a
  // full-attention pool (OutOfPages), naming the numbers involved.
  void add(SeqId seq, std::vector<std::int32_t> prompt, bool wantPromptLogits);
  // Builds the next step (empty when there is nothing to run).
  StepPlan schedule();
  // Records that the model ran `plan`: the scheduled tokens are now cached,
  // and pages that slid out of a window are released.
  void commit(const StepPlan &plan);
  // Appends a sampled token; it is the sequence's next decode input.
  void appendToken(SeqId seq, std::int32_t token);

  // The step after `current` (built by schedule() or scheduleAhead() and
  // not committed yet), planned before the tokens `current` samples are
  // known, so that the model can queue it while `current` runs. It is only
  // made when it would be the decode of every running sequence with the
  // token `current` samples for it: nothing is waiting, every running
  // sequence samples its next token in `current`, their count fits the
  // batch, and every pool has the pages without preempting. Then `current`
  // is committed, `placeholder` is appended to each sequence (replace it with
  // setLastToken once known; the plan's tokenIds hold it) and the plan is
  // returned; otherwise an empty plan, and only the commit of `current` (which
  // committing it again later repeats harmlessly) is done.
  StepPlan scheduleAhead(const StepPlan &current, std::int32_t placeholder);
  // Replaces the last token of `seq` (the placeholder of scheduleAhead).
  void setLastToken(SeqId seq, std::int32_t token);
  // Forgets a finished or failed sequence and frees its pages.
  void remove(SeqId seq);

  bool has(SeqId seq) const { return seqs_.count(seq) != 0; }
  std::size_t numSequences() const { return seqs_.size(); }
  std::size_t numRunning() const { return running_.size(); }
  std::size_t numWaiting() const { return waiting_.size(); }
  std::int64_t numPreemptions() const { return numPreemptions_; }
  // Tokens of `seq`: prompt followed by the tokens appended so far.
  const std::vector<std::int32_t> &tokens(SeqId seq) const;
  // Tokens of `seq` whose K/V is in the cache.
  std::int64_t numCached(SeqId seq) const;

private:
  struct Sequence {
    std::vector<std::int32_t> tokens;  // prompt + generated
    std::int32_t promptLen = 0;
    bool wantPromptLogits = false;
    std::int64_t numCached = 0;        // tokens whose K/V is cached
    std::int32_t promptLogitsDone = 0; // prompt positions whose logits were produced
  };
  struct Chunk {
    SeqId seq;
    std::int64_t start;
    std::int64_t length;
  };

  void preempt(SeqId seq);
  void fail(SeqId seq, const std::string &why, StepPlan &plan);
  std::string pagesMessage(SeqId seq, std::int64_t totalTokens) const;
  void buildArrays(const std::vector<Chunk> &chunks, StepPlan &plan) const;

  SchedulerConfig config_;
  KVCacheManager &cache_;
  std::unordered_map<SeqId, Sequence> seqs_;
  std::vector<SeqId> running_; // admission order: the last one is preempted first
  std::deque<SeqId> waiting_;
  std::int64_t numPreemptions_ = 0;
};

} // namespace attnrt
