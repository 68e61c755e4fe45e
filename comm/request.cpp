#include "comm/request.hpp"

#include <utility>

#include "comm/collective_run.hpp"
#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

Request::~Request() { finish_in_destructor(); }

Request::Request(Request&& other) noexcept
    : handle_(std::exchange(other.handle_, MPI_REQUEST_NULL)),
      issued_at_(other.issued_at_),
      completed_at_(other.completed_at_),
      waited_(other.waited_) {}

Request& Request::operator=(Request&& other) noexcept {
  if (this != &other) {
    finish_in_destructor();
    handle_ = std::exchange(other.handle_, MPI_REQUEST_NULL);
    issued_at_ = other.issued_at_;
    completed_at_ = other.completed_at_;
    waited_ = other.waited_;
  }
  return *this;
}

void Request::finish_in_destructor() noexcept {
  if (handle_ != MPI_REQUEST_NULL && Environment::active()) MPI_Wait(&handle_, MPI_STATUS_IGNORE);
  handle_ = MPI_REQUEST_NULL;
}

bool Request::test() {
  if (handle_ == MPI_REQUEST_NULL) return true;
  int done = 0;
  check(MPI_Test(&handle_, &done, MPI_STATUS_IGNORE), "MPI_Test");
  if (done != 0) completed_at_ = now();
  return done != 0;
}

void Request::wait() {
  if (handle_ == MPI_REQUEST_NULL) return;
  const double begin = now();
  // While scaleout's own collectives are in flight, the wait progresses them too (collective_run.hpp).
  for (int done = 0; done == 0 && progress_runs();) check(MPI_Test(&handle_, &done, MPI_STATUS_IGNORE), "MPI_Test");
  if (handle_ != MPI_REQUEST_NULL) check(MPI_Wait(&handle_, MPI_STATUS_IGNORE), "MPI_Wait");
  completed_at_ = now();
  waited_ += completed_at_ - begin;
}

}  // namespace scaleout::comm
