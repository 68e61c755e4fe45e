#pragma once
// Move-only RAII over one MPI_Request of a non-blocking operation, with the times the executor and
// the benchmark need: when it was issued, when it was seen complete, and how long the owner was
// blocked waiting for it.

#include <mpi.h>

namespace scaleout::comm {

class Request {
 public:
  Request() noexcept = default;
  Request(MPI_Request handle, double issued_at) noexcept : handle_(handle), issued_at_(issued_at) {}
  // An operation still in flight cannot be cancelled portably (collectives never), and freeing it
  // would leave MPI writing into buffers the owner is about to release: the destructor waits.
  ~Request();
  Request(Request&& other) noexcept;
  Request& operator=(Request&& other) noexcept;
  Request(const Request&) = delete;
  Request& operator=(const Request&) = delete;

  // Polls once (MPI_Test); true once the operation has completed.
  bool test();
  // Blocks until the operation completes (MPI_Wait; while scaleout's own collectives are in flight,
  // tests that progress them too); the blocked time adds to waited_seconds().
  void wait();

  bool pending() const noexcept { return handle_ != MPI_REQUEST_NULL; }
  double issued_at() const noexcept { return issued_at_; }
  // MPI_Wtime when completion was observed; negative while pending.
  double completed_at() const noexcept { return completed_at_; }
  double waited_seconds() const noexcept { return waited_; }

 private:
  void finish_in_destructor() noexcept;

  MPI_Request handle_ = MPI_REQUEST_NULL;
  double issued_at_ = 0.0;
  double completed_at_ = -1.0;
  double waited_ = 0.0;
};

}  // namespace scaleout::comm
