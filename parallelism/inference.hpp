#pragma once
// Serving a model: the programs of one replica's forward passes and the memory they hold. A request
// batch of `sequences` sequences runs one prefill pass over their prompts, which makes the first
// output token, then one decode pass per further output token. docs/inference.md gives the model:
// - prefill: per layer the forward compute of the prompt tokens (FLOPs as training's forward,
//   compute-bound), two TP allreduces of b s h B, the KV cache written; PP sends b s h B;
// - decode: per layer the weights read once and the KV cache of every sequence read (memory-bound
//   spans: the roofline maximum of FLOPs and bytes), two TP allreduces of b h B; PP sends b h B;
// - the last stage computes the logits of one position per sequence.
// EP splits the sequences over its ranks (data-parallel attention) and adds the experts' all-to-alls.
// Not modelled: a batching scheduler (requests arriving and leaving), chunked prefill, speculative
// decoding, the sampling's gather of logits.

#include <cstdint>
#include <string>

#include "parallelism/program.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::parallelism {

// "tp 4 x pp 2": a replica's layout, naming what it uses ("1 rank" when nothing).
std::string describe_replica(const Layout& layout);

// Sequences one rank attends to: the replica's, split over EP.
int local_sequences(const Workload& workload);
// The tokens a decode pass attends to per sequence when it makes output token `token` (2 ..
// output_tokens; the prefill made the first): the prompt and the tokens generated before it, itself
// included.
std::int64_t decode_context(const Inference& inference, std::int64_t token);

Program prefill_program(const Workload& workload, int stage);
Program decode_program(const Workload& workload, int stage, std::int64_t context);

// Whether a program's compute spans are bound by memory (their bytes over the bandwidth exceed their
// FLOPs over the achieved FLOP/s, summed over the spans) rather than by compute.
bool memory_bound(const Program& program, const Device& device);

// KV-cache bytes one rank holds per token of one sequence: its stage's layers' K and V of its kv heads
// (split over TP; a kv head is replicated when TP exceeds the kv heads). Alike on every stage.
double kv_bytes_per_token(const Workload& workload);

// A device's memory when serving: bf16 weights and the KV cache at the final context (prompt +
// output), on the stage that needs the most. Activations of a pass are small next to them and left out.
struct ServingMemory {
  int stage = 0;
  double weights = 0, kv_cache = 0, capacity = 0;
  double kv_per_token = 0;           // per sequence (kv_bytes_per_token)
  int most_sequences = 0;            // per replica at the configured context (a multiple of ep)
  std::int64_t longest_context = 0;  // tokens per sequence at the configured sequences
  double total() const { return weights + kv_cache; }
  bool fits() const { return total() <= capacity; }
};
ServingMemory serving_memory(const Workload& workload);
// One sentence: what fits, or what does not and what would.
std::string serving_memory_verdict(const ServingMemory& memory, const Workload& workload);

}  // namespace scaleout::parallelism
