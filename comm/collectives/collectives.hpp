#pragma once
// One accessor per collective; each lives in its own file next to this one.

#include "comm/collective.hpp"

namespace scaleout::comm::collectives {

const Collective& allreduce();
const Collective& reduce_scatter();
const Collective& allgather();
const Collective& alltoall();
const Collective& broadcast();
const Collective& reduce();
const Collective& sendrecv();

}  // namespace scaleout::comm::collectives
