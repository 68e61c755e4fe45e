#include "parallelism/inference.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <stdexcept>

#include "parallelism/step_builder.hpp"

namespace scaleout::parallelism {

namespace {

const Inference& serving(const Workload& w) {
  if (!w.inference) throw std::logic_error("an inference program of a training workload");
  return *w.inference;
}

// K and V of the rank's kv heads for one token in one layer.
double kv_bytes_per_layer_token(const Workload& w) {
  const double kv_heads = std::ceil(static_cast<double>(w.model.kv_heads) / w.layout.tp);
  return 2.0 * kv_heads * static_cast<double>(w.model.head_dim()) * serving(w).kv_element_bytes;
}

}  // namespace

namespace detail {

// One forward pass over the stage's layers: the activations arrive from the stage before (a blocking
// receive, its wait the bubble), leave for the stage after (a send the pass waits for before it ends),
// and on the last stage become the logits of `logits_tokens` positions.
Program StepBuilder::inference_pass(double logits_tokens) {
  const int p = l_.pp;
  const std::uint64_t activation = pipeline_bytes();
  // One activation per pass and stage boundary: microbatch 0 of the training pipeline's naming.
  if (stage_ > 0) {
    blocking(Group::pp, Transfer::recv, Phase::forward, 0, -1, activation, stage_ - 1,
             pipeline_tag(0, p, stage_, false));
  }
  // vLLM's VocabParallelEmbedding.forward allreduces its output over TP
  // (vllm/model_executor/layers/vocab_parallel_embedding.py).
  if (stage_ == 0) tp_reduce(Phase::forward, 0, -1);
  const int first = stage_ * w_.layers_per_chunk();
  for (int layer = first; layer < first + w_.layers_per_chunk(); ++layer) layer_forward(0, layer, Phase::forward);
  if (stage_ == p - 1) {
    const auto head = static_cast<double>(m_.vocab * m_.hidden) / l_.tp;
    compute(Phase::forward, 0, -1, logits_tokens * 2.0 * head, parameter_bytes * head);
    // The vocabulary-parallel logits are gathered for sampling: vLLM's LogitsProcessor all-gathers them
    // (vllm/model_executor/layers/logits_processor.py, _gather_logits; use_all_gather in
    // vllm/platforms/interface.py is true under its V1 engine).
    if (l_.tp > 1) {
      blocking(Group::tp, Transfer::allgather, Phase::forward, 0, -1,
               padded(logits_tokens * static_cast<double>(m_.vocab) * activation_bytes, l_.tp, element_));
    }
  } else {
    wait(start(Group::pp, Transfer::send, Phase::forward, 0, -1, activation, false, stage_ + 1,
               pipeline_tag(0, p, stage_ + 1, false)),
         Phase::sync);
  }
  drop_collectives_of_one_rank(program_, l_);
  merge_compute(program_.ops);
  return std::move(program_);
}

Program StepBuilder::build_prefill() {
  const Inference& serve = serving(w_);
  const double sequences = local_sequences(w_);
  const auto prompt = static_cast<double>(serve.prompt_tokens);
  tokens_ = sequences * prompt;
  // Each prompt token attends over the prompt, causally, as in training's forward.
  attention_flops_per_token_ = m_.attention_core_flops(prompt, /*causal=*/true);
  kv_cache_bytes_ = tokens_ * kv_bytes_per_layer_token(w_);  // written
  return inference_pass(sequences);
}

Program StepBuilder::build_decode(std::int64_t context) {
  const double sequences = local_sequences(w_);
  tokens_ = sequences;  // one new token per sequence
  // The new token attends to every token before it: nothing is masked.
  attention_flops_per_token_ = m_.attention_core_flops(static_cast<double>(context), /*causal=*/false);
  kv_cache_bytes_ = sequences * static_cast<double>(context) * kv_bytes_per_layer_token(w_);  // read
  return inference_pass(sequences);
}

}  // namespace detail

std::string describe_replica(const Layout& l) {
  std::string text;
  for (const auto& [name, value] : {std::pair{"tp", l.tp}, {"pp", l.pp}, {"ep", l.ep}}) {
    if (value > 1) text += fmt::format("{}{} {}", text.empty() ? "" : " x ", name, value);
  }
  return text.empty() ? "1 rank" : text;
}

int local_sequences(const Workload& w) { return serving(w).sequences / w.layout.ep; }

std::int64_t decode_context(const Inference& inference, std::int64_t token) {
  return inference.prompt_tokens + token - 1;
}

Program prefill_program(const Workload& workload, int stage) {
  return detail::StepBuilder(workload, stage).build_prefill();
}

Program decode_program(const Workload& workload, int stage, std::int64_t context) {
  return detail::StepBuilder(workload, stage).build_decode(context);
}

bool memory_bound(const Program& program, const Device& device) {
  double memory = 0, flops = 0;
  for (const auto& op : program.ops) {
    if (op.kind != OpKind::compute) continue;
    memory += op.memory_bytes / device.memory_bandwidth;
    flops += op.flops / (device.peak_flops * device.efficiency);
  }
  return memory >= flops;
}

double kv_bytes_per_token(const Workload& w) {
  // Every stage holds the same number of layers (pp divides them).
  return w.layers_per_chunk() * kv_bytes_per_layer_token(w);
}

ServingMemory serving_memory(const Workload& w) {
  const Inference& serve = serving(w);
  const double sequences = local_sequences(w);
  ServingMemory fullest;
  for (int stage = 0; stage < w.layout.pp; ++stage) {
    ServingMemory m;
    m.stage = stage;
    m.capacity = w.device.memory_bytes;
    m.weights = parameter_bytes * rank_parameters(w, stage).total();
    m.kv_per_token = kv_bytes_per_token(w);
    m.kv_cache = sequences * static_cast<double>(serve.final_context()) * m.kv_per_token;
    if (stage == 0 || m.total() > fullest.total()) fullest = m;
  }
  const double room = std::max(0.0, fullest.capacity - fullest.weights);
  const double per_sequence = fullest.kv_per_token * static_cast<double>(serve.final_context());
  fullest.most_sequences = static_cast<int>(std::min(1e9, std::floor(room / per_sequence))) * w.layout.ep;
  fullest.longest_context =
      static_cast<std::int64_t>(std::min(1e15, std::floor(room / (sequences * fullest.kv_per_token))));
  return fullest;
}

std::string serving_memory_verdict(const ServingMemory& m, const Workload& w) {
  const Inference& serve = serving(w);
  const auto size = [](double bytes) {
    return bytes >= 1e9 ? fmt::format("{:.1f} GB", bytes / 1e9) : fmt::format("{:.1f} MB", bytes / 1e6);
  };
  const std::string use = fmt::format("{} of weights + {} of KV cache = {} of the device's {}", size(m.weights),
                                      size(m.kv_cache), size(m.total()), size(m.capacity));
  if (m.weights >= m.capacity) {
    return fmt::format("does not fit: the weights alone need {} of the device's {} (stage {}); use a larger tp or pp",
                       size(m.weights), size(m.capacity), m.stage);
  }
  const std::string limits = fmt::format("at most {} sequences of {} tokens, or {} tokens for {} sequences",
                                         m.most_sequences, serve.final_context(), m.longest_context, serve.sequences);
  if (!m.fits()) return fmt::format("does not fit: {} (stage {}); it holds {}", use, m.stage, limits);
  return fmt::format("fits: {}; it holds {}", use, limits);
}

}  // namespace scaleout::parallelism
