#pragma once
// The training framework a run emulates (`framework.name`): Megatron-LM, DeepSpeed or PyTorch's DDP
// send the same gradients in different element types and buckets. A profile gives the defaults of the
// options it decides; each stays overridable by its own key (dp.gradient_dtype, dp.bucket_mb).
// docs/parallelism.md ("Frameworks") lists what each does, with the source file behind each row.

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "comm/element_type.hpp"
#include "parallelism/layout.hpp"

namespace scaleout::parallelism {

enum class Framework { megatron, deepspeed, pytorch };
const char* to_string(Framework framework);
std::optional<Framework> parse_framework(std::string_view name);
std::vector<std::string> framework_names();

// The element type the framework reduces gradients in when the model trains in bf16: Megatron-LM
// accumulates and reduces them in fp32 unless --grad-reduce-in-bf16; DeepSpeed communicates in the
// model's bf16; PyTorch's DDP reduces the parameters' own type, fp32 under autocast.
comm::ElementType gradient_reduce_type(Framework framework);

// The gradient bucket the framework fills before it reduces, in bytes of `gradient` elements:
// Megatron-LM max(40,000,000, 1,000,000 x dp x cp) elements; DeepSpeed 500,000,000 elements
// (reduce_bucket_size, allgather_bucket_size); PyTorch's DDP 25 MiB (bucket_cap_mb).
double bucket_bytes(Framework framework, const Layout& layout, comm::ElementType gradient);

}  // namespace scaleout::parallelism
