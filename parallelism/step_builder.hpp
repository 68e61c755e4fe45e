#pragma once
// Internal to step_program: builds one stage's program op by op. layer_ops.cpp emits what one
// transformer layer does (compute, TP, CP, EP); step_program.cpp the pipeline, the gradient
// reduction and the optimizer.

#include <array>
#include <optional>
#include <vector>

#include "parallelism/program.hpp"
#include "parallelism/schedule.hpp"
#include "parallelism/workload.hpp"

namespace scaleout::parallelism::detail {

// Bytes rounded up to whole elements for every rank of a group of `ranks` (reduce-scatter, allgather
// and all-to-all need equal blocks; frameworks pad the same way).
std::uint64_t padded(double bytes, int ranks, double element_bytes);

// Names a pipeline message alike on both ends: (microbatch, receiving virtual stage, direction), the
// direction in the parity, which the modulus (even) keeps.
int pipeline_tag(int microbatch, int virtual_stages, int receiving_stage, bool gradient);

// Consecutive compute spans of one layer and phase are one span: communication is what splits them.
void merge_compute(std::vector<Op>& ops);

// A collective over a group of one rank moves nothing, and the frameworks issue none (a gradient
// "reduced" over one rank is already reduced; NCCL returns at once): its ops are dropped, with their
// waits, and the program's slots renumbered. Call before merge_compute, so that the compute the
// dropped ops split is one span again.
void drop_collectives_of_one_rank(Program& program, const Layout& layout);

class StepBuilder {
 public:
  StepBuilder(const Workload& workload, int stage);
  Program build();
  // --- inference.cpp: one forward pass of a serving replica (workload.inference set).
  Program build_prefill();
  Program build_decode(std::int64_t context);  // attending to `context` tokens per sequence

 private:
  // Per stream (dense, expert) of gradients: where the reduction of this backward stands.
  struct GradientStream {
    double total = 0;  // bytes this chunk's backward produces
    double produced = 0;
    int next_bucket = 0;
    std::vector<int> slots;  // started buckets, waited in the sync
  };

  // --- layer_ops.cpp
  void layer_forward(int microbatch, int layer, Phase phase);  // phase recompute when replayed
  void layer_backward(int microbatch, int layer);
  void qkv_projection(Phase phase, int microbatch, int layer, double scale);
  void dense_mlp_forward(Phase phase, int microbatch, int layer);  // FC1 and FC2, with their TP
  void attention_core(Phase phase, int microbatch, int layer, double scale);
  void output_projection(Phase phase, int microbatch, int layer, double scale);
  void mlp(Phase phase, int microbatch, int layer, double scale);  // dense, or the experts
  void moe_mlp(Phase phase, int microbatch, int layer, double scale);
  // Backward of a column-parallel linear of `weights` per rank (QKV, FC1), as Megatron-LM's
  // LinearWithGradAccumulationAndAsyncCommunication.backward runs it (megatron/core/tensor_parallel/
  // layers.py): with sequence parallelism the saved input shard is all-gathered again, started before
  // the input gradient's GEMM and waited after it; the input gradient's allreduce (reduce-scatter with
  // sequence parallelism) is started before the weight gradient's GEMM ("scheduled before the weight
  // gradient computation") and waited after it. `unsplit_bytes`: what the input-gradient span reads
  // besides the weights.
  void column_parallel_backward(int microbatch, int layer, double weights, double unsplit_bytes);
  // Backward of a row-parallel linear of `weights` per rank (the output projection, FC2): with sequence
  // parallelism its output gradient is gathered first, blocking (or behind the input gradient's GEMM
  // with tp_comm_overlap); its input and weight gradients are twice the forward's FLOPs.
  void row_parallel_backward(int microbatch, int layer, double weights);
  void tp_reduce(Phase phase, int microbatch, int layer);  // allreduce, or reduce-scatter with SP
  void tp_gather(Phase phase, int microbatch, int layer);  // allgather with SP; nothing without
  // tp_comm_overlap (TransformerEngine's userbuffers, transformer_engine/pytorch/module/base.py,
  // initialize_ub): a GEMM whose input is gathered over TP as a ring exchange, one block of b s h B / t
  // per step behind the GEMM on the block already held (t steps: "ring_exchange", for qkv_fprop,
  // fc1_fprop, proj_dgrad, fc2_dgrad); and a GEMM whose output is reduce-scattered in 4 splits, each
  // split's reduce-scatter behind the next split's GEMM ("pipeline", num_splits 4: proj_fprop, fc2_fprop).
  void gathered_gemm(Phase phase, int microbatch, int layer, double flops, double bytes);
  void scattered_gemm(Phase phase, int microbatch, int layer, double flops, double bytes);
  bool overlapped_tp() const { return w_.tp_comm_overlap && l_.tp > 1 && l_.sequence_parallel; }

  // --- inference.cpp
  Program inference_pass(double logits_tokens);

  // --- step_program.cpp
  std::uint64_t pipeline_bytes() const;  // one microbatch's activations between stages, per rank
  // Megatron-LM's p2p calls wait their sends before they return (p2p_communication.py, _communicate with
  // wait_on_reqs): a send with the next action's receive when that action goes the other way (they are
  // one call, send_forward_recv_backward or send_backward_recv_forward), alone otherwise. Before
  // `next` (nullptr: the step's end), wait a send that is not batched with its receive.
  void send_completion_before(const PipelineAction* next);
  void send_completion_after_receive(Phase phase);  // the batched send, after the receive it paired with
  void pipeline_send(Phase phase, int microbatch, std::uint64_t bytes, int peer, int tag);
  void forward_action(const PipelineAction& action);
  void backward_action(const PipelineAction& action, bool reduce_gradients);
  void gradient_segment(std::size_t first_op, double dense_bytes, double expert_bytes, int microbatch, int layer);
  void finish_gradient_streams();
  void reduce_after_backward(int chunk, Phase phase, int microbatch);  // every bucket of the chunk, blocking
  std::array<double, 2> chunk_gradient_bytes(int chunk) const;         // dense, expert
  Op bucket(int stream, std::uint64_t bytes, OpKind kind, Phase phase, int microbatch, int layer);
  // The buckets `total` gradient bytes fill: how many, and bucket k's bytes (the last may be short).
  std::uint64_t bucket_size(double total, int k) const;
  int bucket_count(double total) const;
  void synchronize();
  void optimizer();

  // --- gradient_sync.cpp: ZeRO-1/2's parameter all-gather during the forward (overlap_param_gather).
  // Per stream, the chunk's buckets in the order the forward needs them (the last bucket first: buckets
  // fill in backward order), one dispatched ahead of the one waited.
  struct ParameterGather {
    double total = 0;    // gradient bytes of the chunk's buckets
    double reached = 0;  // of them, what the forward has reached
    int unwaited = 0;    // buckets 0 .. unwaited - 1 not yet waited
    int in_flight = -1;  // slot of the dispatched, unwaited bucket unwaited - 1
  };
  void begin_parameter_gather(int chunk);
  // Before a forward segment whose parameters have `gradient_bytes` (dense, expert) of gradients: wait
  // for the buckets that hold them, dispatching each next one as Megatron-LM's forward pre-hook does.
  void gather_parameters(int microbatch, int layer, std::array<double, 2> gradient_bytes);
  int dispatch_parameter_bucket(int stream, int bucket, int microbatch, int layer);

  // --- op helpers (step_program.cpp)
  void compute(Phase phase, int microbatch, int layer, double flops, double bytes);
  Op communication(OpKind kind, Group group, Transfer transfer, Phase phase, int microbatch, int layer,
                   std::uint64_t bytes);
  void blocking(Group group, Transfer transfer, Phase phase, int microbatch, int layer, std::uint64_t bytes,
                int peer = -1, int tag = -1, bool expert = false);
  int start(Group group, Transfer transfer, Phase phase, int microbatch, int layer, std::uint64_t bytes,
            bool expert = false, int peer = -1, int tag = -1);
  void wait(int slot, Phase phase = Phase::sync);

  const Workload& w_;
  const Layout& l_;
  const Model& m_;
  int stage_;
  double tokens_;                     // per rank and microbatch (inference: per pass)
  double attention_flops_per_token_;  // scores and values (Model::attention_core_flops)
  double kv_cache_bytes_ = 0;         // KV-cache bytes a layer's attention reads or writes (inference)
  double element_;                    // gradient element bytes
  Program program_;
  int next_tag_ = 0;
  std::vector<Op> started_;   // by slot
  std::vector<int> pending_;  // started ops waited in the sync: interleaved sends, ZeRO-3 reduce-scatters
  // 1F1B and GPipe: the pipeline send of the last action, waited as Megatron-LM's p2p calls wait it
  // (send_completion_before).
  struct UnwaitedSend {
    int slot = -1;
    bool gradient = false;  // sent by a backward
  };
  std::optional<UnwaitedSend> unwaited_send_;
  std::array<GradientStream, 2> streams_;
  std::array<ParameterGather, 2> gathers_;
  std::vector<bool> chunk_gathered_;  // overlap_param_gather: the chunk's first forward has run
};

}  // namespace scaleout::parallelism::detail
