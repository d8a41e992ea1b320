#include "runtime/Scheduler.h"

#include "runtime/Error.h"

#include <algorithm>
#include <unordered_set>

namespace attnrt {

Scheduler::Scheduler(const SchedulerConfig &config, KVCacheManager &cache)
    : config_(config), cache_(cache) {
  if (config.maxBatchTokens <= 0)
    throw Error(ErrorCode::InvalidArgument, "max_batch_tokens must be positive, got " +
                                                std::to_string(config.maxBatchTokens));
  if (config.maxContext <= 0)
    throw Error(ErrorCode::InvalidArgument,
                "max_context must be positive, got " + std::to_string(config.maxContext));
}

void Scheduler::add(SeqId seq, std::vector<std::int32_t> prompt, bool wantPromptLogits) {
  if (seqs_.count(seq))
    throw Error(ErrorCode::Internal, "scheduler: sequence " + std::to_string(seq) +
                                         " added twice");
  if (prompt.empty())
    throw Error(ErrorCode::InvalidArgument, "the prompt is empty");
  if (prompt.size() > static_cast<std::size_t>(config_.maxContext))
    throw Error(ErrorCode::InvalidArgument,
                "the prompt has " + std::to_string(prompt.size()) +
                    " tokens but the model's context is " +
                    std::to_string(config_.maxContext) + " tokens");
  // Full-attention groups must hold the whole prompt at once; a prompt that
  // exceeds such a pool can never run, so say so now rather than mid-run.
  for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
    if (cache_.window(g) != 0)
      continue;
    std::int64_t pages = (static_cast<std::int64_t>(prompt.size()) + cache_.pageSize() - 1) /
                         cache_.pageSize();
    if (pages > cache_.allocator(g).numPages())
      throw Error(ErrorCode::OutOfPages,
                  "KV pages exhausted: the prompt of " + std::to_string(prompt.size()) +
                      " tokens needs " + std::to_string(pages) + " pages of cache group " +
                      std::to_string(g) + " but its pool has only " +
                      std::to_string(cache_.allocator(g).numPages()) + " pages of " +
                      std::to_string(cache_.pageSize()) + " tokens");
  }
  Sequence entry;
  entry.promptLen = static_cast<std::int32_t>(prompt.size());
  entry.tokens = std::move(prompt);
  entry.wantPromptLogits = wantPromptLogits;
  seqs_.emplace(seq, std::move(entry));
  waiting_.push_back(seq);
}

const std::vector<std::int32_t> &Scheduler::tokens(SeqId seq) const {
  auto it = seqs_.find(seq);
  if (it == seqs_.end())
    throw Error(ErrorCode::NotFound, "scheduler: unknown sequence " + std::to_string(seq));
  return it->second.tokens;
}

std::int64_t Scheduler::numCached(SeqId seq) const {
  auto it = seqs_.find(seq);
  return it == seqs_.end() ? 0 : it->second.numCached;
}

void Scheduler::preempt(SeqId seq) {
  cache_.free(seq);
  seqs_.at(seq).numCached = 0;
  running_.erase(std::find(running_.begin(), running_.end(), seq));
  waiting_.push_front(seq); // first in line to be recomputed
  ++numPreemptions_;
}

std::string Scheduler::pagesMessage(SeqId seq, std::int64_t totalTokens) const {
  const Sequence &s = seqs_.at(seq);
  for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
    std::int64_t pages = (totalTokens + cache_.pageSize() - 1) / cache_.pageSize();
    if (cache_.window(g) == 0 && pages <= cache_.allocator(g).numPages())
      continue;
    if (cache_.window(g) != 0 && cache_.pagesNeeded(seq, totalTokens, g) <=
                                     cache_.allocator(g).numFree())
      continue;
    return "KV pages exhausted: a sequence of " + std::to_string(totalTokens) +
           " tokens (prompt " + std::to_string(s.promptLen) + " + generated " +
           std::to_string(s.tokens.size() - static_cast<std::size_t>(s.promptLen)) +
           ") does not fit in the " + std::to_string(cache_.allocator(g).numPages()) +
           " pages of " + std::to_string(cache_.pageSize()) + " tokens of cache group " +
           std::to_string(g) + (cache_.window(g) ? " (window " + std::to_string(cache_.window(g)) + ")" : "") +
           "; enlarge the KV cache";
  }
  return "KV pages exhausted: a sequence of " + std::to_string(totalTokens) +
         " tokens does not fit in the KV cache; enlarge it";
}

void Scheduler::fail(SeqId seq, const std::string &why, StepPlan &plan) {
  plan.failed.push_back({seq, why});
  remove(seq);
}

void Scheduler::remove(SeqId seq) {
  cache_.free(seq);
  running_.erase(std::remove(running_.begin(), running_.end(), seq), running_.end());
  waiting_.erase(std::remove(waiting_.begin(), waiting_.end(), seq), waiting_.end());
  seqs_.erase(seq);
}

void Scheduler::appendToken(SeqId seq, std::int32_t token) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end())
    throw Error(ErrorCode::NotFound, "scheduler: unknown sequence " + std::to_string(seq));
  it->second.tokens.push_back(token);
}

void Scheduler::setLastToken(SeqId seq, std::int32_t token) {
  auto it = seqs_.find(seq);
  if (it == seqs_.end() || it->second.tokens.empty())
    throw Error(ErrorCode::NotFound, "scheduler: unknown sequence " + std::to_string(seq));
  it->second.tokens.back() = token;
}

StepPlan Scheduler::scheduleAhead(const StepPlan &current, std::int32_t placeholder) {
  commit(current);
  StepPlan next;
  if (!waiting_.empty() || running_.empty() ||
      running_.size() > static_cast<std::size_t>(config_.maxBatchTokens))
    return next;
  // Every running sequence must sample in `current`: all its tokens are
  // cached once `current` ran (a sequence still prefilling, or not in it,
  // would make the next step something else).
  std::unordered_map<SeqId, std::int32_t> cachedAfter; // per step: no quadratic search
  for (std::size_t b = 0; b < current.seqs.size(); ++b)
    cachedAfter[current.seqs[b]] = current.contextLen[b];
  for (SeqId id : running_) {
    const Sequence &s = seqs_.at(id);
    auto cached = cachedAfter.find(id);
    if (cached == cachedAfter.end() ||
        cached->second != static_cast<std::int64_t>(s.tokens.size()) ||
        s.numCached + 1 > config_.maxContext)
      return next;
  }
  for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
    std::int64_t pages = 0;
    for (SeqId id : running_)
      pages += cache_.pagesNeeded(id, seqs_.at(id).numCached + 1, g);
    if (pages > cache_.allocator(g).numFree())
      return next;
  }
  std::vector<Chunk> chunks;
  for (SeqId id : running_) {
    Sequence &s = seqs_.at(id);
    s.tokens.push_back(placeholder);
    if (!cache_.grow(id, s.numCached + 1))
      throw Error(ErrorCode::Internal, "scheduler: a page counted free could not be allocated");
    chunks.push_back({id, s.numCached, 1});
  }
  buildArrays(chunks, next);
  return next;
}

StepPlan Scheduler::schedule() {
  StepPlan plan;
  // A sequence preempted while building this step is not readmitted in the
  // same step: that would only take back the pages just freed for others.
  std::unordered_set<SeqId> preemptedNow;

  while (!seqs_.empty()) {
    std::vector<Chunk> chunks;
    std::int64_t budget = config_.maxBatchTokens;

    // 1. Decodes, oldest first; the newest running sequences make room.
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
      SeqId id = running_[i];
      Sequence &s = seqs_.at(id);
      if (static_cast<std::int64_t>(s.tokens.size()) - s.numCached != 1)
        continue;
      bool placed = cache_.grow(id, s.numCached + 1);
      while (!placed && running_.back() != id) {
        SeqId victim = running_.back();
        preempt(victim);
        preemptedNow.insert(victim);
        plan.preempted.push_back(victim);
        placed = cache_.grow(id, s.numCached + 1);
      }
      if (!placed)
        continue; // newest of all: waits (the fallback below resolves a stall)
      chunks.push_back({id, s.numCached, 1});
      --budget;
    }

    // 2. Chunked prefill of admitted sequences, oldest first.
    for (std::size_t i = 0; i < running_.size() && budget > 0; ++i) {
      SeqId id = running_[i];
      Sequence &s = seqs_.at(id);
      std::int64_t pending = static_cast<std::int64_t>(s.tokens.size()) - s.numCached;
      if (pending <= 1)
        continue; // decodes were handled above
      std::int64_t length = cache_.maxGrowth(id, std::min(pending, budget));
      if (length == 0)
        continue;
      cache_.grow(id, s.numCached + length);
      chunks.push_back({id, s.numCached, length});
      budget -= length;
    }

    // 3. Admission from the queue, first come first served.
    while (!waiting_.empty() && budget > 0) {
      SeqId id = waiting_.front();
      if (preemptedNow.count(id))
        break;
      Sequence &s = seqs_.at(id);
      std::int64_t pending = static_cast<std::int64_t>(s.tokens.size());
      std::int64_t length = cache_.maxGrowth(id, std::min(pending, budget));
      if (length == 0)
        break;
      cache_.grow(id, length);
      waiting_.pop_front();
      running_.push_back(id);
      chunks.push_back({id, 0, length});
      budget -= length;
    }

    if (!chunks.empty()) {
      buildArrays(chunks, plan);
      return plan;
    }

    // Nothing could run: every pending token lacks a page.
    if (running_.size() > 1) {
      SeqId victim = running_.back();
      preempt(victim);
      preemptedNow.insert(victim);
      plan.preempted.push_back(victim);
    } else if (running_.size() == 1) {
      // It holds every used page and still cannot take one more token.
      SeqId id = running_.front();
      fail(id, pagesMessage(id, seqs_.at(id).numCached + 1), plan);
    } else if (!waiting_.empty() && preemptedNow.count(waiting_.front())) {
      preemptedNow.clear(); // everyone was preempted; let the head back in
    } else if (!waiting_.empty()) {
      // The whole pool is free and the head still cannot start.
      fail(waiting_.front(), pagesMessage(waiting_.front(), 1), plan);
    }
  }
  return plan;
}

void Scheduler::buildArrays(const std::vector<Chunk> &chunks, StepPlan &plan) const {
  plan.queryStart.push_back(0);
  for (std::size_t b = 0; b < chunks.size(); ++b) {
    const Chunk &chunk = chunks[b];
    const Sequence &s = seqs_.at(chunk.seq);
    plan.seqs.push_back(chunk.seq);
    for (std::int64_t p = chunk.start; p < chunk.start + chunk.length; ++p) {
      LogitRow row;
      row.batchIndex = static_cast<std::int32_t>(b);
      row.seq = chunk.seq;
      row.position = static_cast<std::int32_t>(p);
      row.promptLogit = s.wantPromptLogits && p < s.promptLen && p >= s.promptLogitsDone;
      row.sample = p + 1 == static_cast<std::int64_t>(s.tokens.size());
      if (row.promptLogit || row.sample) {
        plan.logitTokens.push_back(static_cast<std::int32_t>(plan.tokenIds.size()));
        plan.logitRows.push_back(row);
      }
      plan.tokenIds.push_back(s.tokens[static_cast<std::size_t>(p)]);
      plan.positions.push_back(static_cast<std::int32_t>(p));
    }
    plan.queryStart.push_back(static_cast<std::int32_t>(plan.tokenIds.size()));
    plan.contextLen.push_back(static_cast<std::int32_t>(chunk.start + chunk.length));
  }

  std::size_t stride = 1;
  for (const Chunk &chunk : chunks)
    for (std::int32_t g = 0; g < cache_.numGroups(); ++g)
      stride = std::max(stride, cache_.table(chunk.seq, g).size());
  plan.blocksPerSeq = static_cast<std::int32_t>(stride);
  plan.blockTables.assign(static_cast<std::size_t>(cache_.numGroups()),
                          std::vector<std::int32_t>(chunks.size() * stride, -1));
  for (std::size_t b = 0; b < chunks.size(); ++b)
    for (std::int32_t g = 0; g < cache_.numGroups(); ++g) {
      const std::vector<std::int32_t> &table = cache_.table(chunks[b].seq, g);
      std::copy(table.begin(), table.end(), plan.blockTables[g].begin() + b * stride);
    }
}

void Scheduler::commit(const StepPlan &plan) {
  for (std::size_t b = 0; b < plan.seqs.size(); ++b) {
    auto it = seqs_.find(plan.seqs[b]);
    if (it == seqs_.end())
      continue; // removed after scheduling (failed by the caller)
    Sequence &s = it->second;
    s.numCached = plan.contextLen[b];
    if (s.wantPromptLogits)
      s.promptLogitsDone = std::max(
          s.promptLogitsDone,
          static_cast<std::int32_t>(std::min<std::int64_t>(s.numCached, s.promptLen)));
    cache_.releaseOutsideWindow(plan.seqs[b], s.numCached);
  }
}

} // namespace attnrt
