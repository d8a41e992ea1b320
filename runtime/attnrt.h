/* libattnrt C API: run an attnc artifact (a directory with manifest.json,
 * libmodel.so and weights.bin) with continuous batching over a paged KV
 * cache.
 *
 * Every function returns an attnrt_status; on failure it writes a message
 * (NUL-terminated, truncated to error_len) into `error` when `error` is not
 * NULL. No C++ exception ever leaves these functions. Handles are opaque. An
 * engine is not thread-safe: call it from one thread at a time.
 *
 * Typical use:
 *   attnrt_engine *engine;
 *   attnrt_engine_open("artifact/", NULL, &engine, err, sizeof err);
 *   attnrt_request_params params;
 *   attnrt_request_params_init(&params);
 *   params.prompt = ids; params.prompt_len = n; params.max_new_tokens = 32;
 *   attnrt_add_request(engine, &params, &id, err, sizeof err);
 *   attnrt_run(engine, err, sizeof err);
 *   attnrt_request_tokens(engine, id, out, capacity, &count, err, sizeof err);
 *   attnrt_engine_close(engine);
 */
#ifndef ATTNC_RUNTIME_ATTNRT_H
#define ATTNC_RUNTIME_ATTNRT_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef enum attnrt_status {
  ATTNRT_OK = 0,
  ATTNRT_ERR_INVALID_ARGUMENT = 1, /* bad value: flag, token id, prompt length, NULL pointer */
  ATTNRT_ERR_IO = 2,               /* a file cannot be opened, mapped or read */
  ATTNRT_ERR_VERSION = 3,          /* artifact from another attnc version / model ABI */
  ATTNRT_ERR_CORRUPT = 4,          /* malformed manifest, truncated or corrupt weights */
  ATTNRT_ERR_MODEL = 5,            /* libmodel.so failed to load, create or step */
  ATTNRT_ERR_OUT_OF_PAGES = 6,     /* the KV cache cannot hold the request */
  ATTNRT_ERR_NOT_FOUND = 7,        /* unknown request id */
  ATTNRT_ERR_INTERNAL = 8          /* a runtime bug (please report) */
} attnrt_status;

typedef enum attnrt_request_state {
  ATTNRT_REQUEST_WAITING = 0,
  ATTNRT_REQUEST_RUNNING = 1,
  ATTNRT_REQUEST_FINISHED = 2,
  ATTNRT_REQUEST_FAILED = 3 /* attnrt_request_message says why */
} attnrt_request_state;

typedef enum attnrt_finish_reason {
  ATTNRT_FINISH_NONE = 0,
  ATTNRT_FINISH_LENGTH = 1,  /* max_new_tokens reached */
  ATTNRT_FINISH_STOP = 2,    /* the stop token was generated (and is included) */
  ATTNRT_FINISH_CONTEXT = 3  /* the model's max_context reached */
} attnrt_finish_reason;

typedef struct attnrt_engine attnrt_engine;

typedef struct attnrt_engine_options {
  int32_t num_threads;      /* threads the model may use in a step; default 1 */
  int64_t kv_pages;         /* KV pages per cache group; 0 = from kv_cache_bytes or default */
  uint64_t kv_cache_bytes;  /* total KV cache bytes when kv_pages is 0; 0 = default */
  int32_t max_batch_tokens; /* tokens per step; 0 = the model's (can only lower it) */
  int32_t overlap_steps;    /* nonzero: queue greedy decodes one step ahead on models that
                               can (runtime/ModelABI.h, ATTNC_FEATURE_OVERLAP); default 0 */
} attnrt_engine_options;

typedef struct attnrt_sampling_params {
  float temperature; /* 0 = greedy (argmax, lowest id on ties) */
  int32_t top_k;     /* 0 = off */
  float top_p;       /* in (0, 1]; 1 = off */
  uint64_t seed;     /* per-request RNG seed */
} attnrt_sampling_params;

typedef struct attnrt_request_params {
  const int32_t *prompt;
  int32_t prompt_len;
  int32_t max_new_tokens;
  attnrt_sampling_params sampling;
  int32_t has_stop_token;     /* nonzero: stop after generating stop_token */
  int32_t stop_token;
  int32_t want_prompt_logits; /* nonzero: keep float logits of every prompt position */
} attnrt_request_params;

typedef struct attnrt_model_info {
  char attnc_version[32];
  char target[16];
  int32_t num_layers;
  int32_t vocab_size;
  int32_t max_context;
  int32_t page_size;
  int32_t max_batch_tokens; /* effective, after options */
  int32_t num_groups;
  int64_t kv_pages_per_group;
} attnrt_model_info;

typedef struct attnrt_engine_stats {
  int64_t steps;          /* model steps run */
  int64_t tokens;         /* tokens processed by them (prefill, decode, recompute) */
  int64_t generated;      /* tokens sampled */
  int64_t preemptions;    /* sequences preempted by recompute (pages ran out) */
  int64_t waiting;        /* requests queued, not (re)admitted yet */
  int64_t running;        /* requests holding KV pages */
  int64_t kv_pages_used;  /* over all cache groups */
  int64_t kv_pages_total; /* over all cache groups */
  int64_t overlapped;     /* steps queued before the step before them was read back */
} attnrt_engine_stats;

/* The attnc version this runtime accepts artifacts from, e.g. "0.1.0". */
const char *attnrt_version(void);
/* Human-readable name of a status ("out of KV pages", ...). */
const char *attnrt_status_name(attnrt_status status);

void attnrt_engine_options_init(attnrt_engine_options *options);
/* Greedy, 16 new tokens, no stop token, no prompt logits. */
void attnrt_request_params_init(attnrt_request_params *params);

/* Opens an artifact directory. `options` may be NULL for defaults. */
attnrt_status attnrt_engine_open(const char *artifact_dir, const attnrt_engine_options *options,
                                 attnrt_engine **engine, char *error, size_t error_len);
/* Frees the engine and all its requests. NULL is ignored. */
void attnrt_engine_close(attnrt_engine *engine);
attnrt_status attnrt_engine_info(const attnrt_engine *engine, attnrt_model_info *info,
                                 char *error, size_t error_len);

/* Counters since the engine was opened, and the current KV cache use. */
attnrt_status attnrt_engine_get_stats(const attnrt_engine *engine, attnrt_engine_stats *stats,
                                      char *error, size_t error_len);

/* Validates and queues a request; on failure nothing is queued and the
 * message names the offending value (e.g. a token id outside the vocabulary). */
attnrt_status attnrt_add_request(attnrt_engine *engine, const attnrt_request_params *params,
                                 int64_t *request_id, char *error, size_t error_len);
/* Runs one step of continuous batching. `num_unfinished` (may be NULL)
 * receives the number of requests still waiting or running. On
 * ATTNRT_ERR_MODEL the requests of that step have failed; others continue. */
attnrt_status attnrt_step(attnrt_engine *engine, int32_t *num_unfinished, char *error,
                          size_t error_len);
/* Steps until every request has finished or failed. A failing model step
 * fails its requests and the run goes on; its message is returned at the end. */
attnrt_status attnrt_run(attnrt_engine *engine, char *error, size_t error_len);

/* State of a request; `reason` and `num_tokens` (generated so far) may be NULL. */
attnrt_status attnrt_request_status(const attnrt_engine *engine, int64_t request_id,
                                    attnrt_request_state *state, attnrt_finish_reason *reason,
                                    int32_t *num_tokens, char *error, size_t error_len);
/* Why a failed request failed (empty string otherwise), into `message`. */
attnrt_status attnrt_request_message(const attnrt_engine *engine, int64_t request_id,
                                     char *message, size_t message_len, char *error,
                                     size_t error_len);
/* Copies up to `capacity` generated tokens into `tokens` (may be NULL when
 * capacity is 0); `count` receives the total number generated. */
attnrt_status attnrt_request_tokens(const attnrt_engine *engine, int64_t request_id,
                                    int32_t *tokens, int32_t capacity, int32_t *count,
                                    char *error, size_t error_len);
/* Copies up to `capacity` floats of the prompt logits ([prompt_len, vocab],
 * row-major); `count` receives the number available. */
attnrt_status attnrt_request_prompt_logits(const attnrt_engine *engine, int64_t request_id,
                                           float *logits, uint64_t capacity, uint64_t *count,
                                           char *error, size_t error_len);
/* Forgets a request; an unfinished one is cancelled and its KV pages freed. */
attnrt_status attnrt_release_request(attnrt_engine *engine, int64_t request_id, char *error,
                                     size_t error_len);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* ATTNC_RUNTIME_ATTNRT_H */
