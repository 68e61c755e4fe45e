#include "comm/communicator.hpp"

#include <utility>

#include "comm/environment.hpp"
#include "comm/error.hpp"

namespace scaleout::comm {

Communicator::~Communicator() { release(); }

Communicator::Communicator(Communicator&& other) noexcept
    : handle_(std::exchange(other.handle_, MPI_COMM_NULL)), owned_(std::exchange(other.owned_, false)) {}

Communicator& Communicator::operator=(Communicator&& other) noexcept {
  if (this != &other) {
    release();
    handle_ = std::exchange(other.handle_, MPI_COMM_NULL);
    owned_ = std::exchange(other.owned_, false);
  }
  return *this;
}

void Communicator::release() noexcept {
  // After MPI_Finalize nothing may be freed; a destructor never throws, so a failure is ignored.
  if (owned_ && handle_ != MPI_COMM_NULL && Environment::active()) MPI_Comm_free(&handle_);
  handle_ = MPI_COMM_NULL;
  owned_ = false;
}

Communicator Communicator::adopt(MPI_Comm created) {
  if (created == MPI_COMM_NULL) return Communicator();
  Communicator result(created, true);
  check(MPI_Comm_set_errhandler(created, MPI_ERRORS_RETURN), "MPI_Comm_set_errhandler");
  return result;
}

Communicator Communicator::duplicate() const {
  MPI_Comm created = MPI_COMM_NULL;
  check(MPI_Comm_dup(handle_, &created), "MPI_Comm_dup");
  return adopt(created);
}

Communicator Communicator::split(int color, int key) const {
  MPI_Comm created = MPI_COMM_NULL;
  check(MPI_Comm_split(handle_, color, key, &created), "MPI_Comm_split");
  return adopt(created);
}

Communicator Communicator::split_shared(int key) const {
  MPI_Comm created = MPI_COMM_NULL;
  check(MPI_Comm_split_type(handle_, MPI_COMM_TYPE_SHARED, key, MPI_INFO_NULL, &created), "MPI_Comm_split_type");
  return adopt(created);
}

int Communicator::rank() const {
  int value = 0;
  check(MPI_Comm_rank(handle_, &value), "MPI_Comm_rank");
  return value;
}

int Communicator::size() const {
  int value = 0;
  check(MPI_Comm_size(handle_, &value), "MPI_Comm_size");
  return value;
}

void Communicator::barrier() const { check(MPI_Barrier(handle_), "MPI_Barrier"); }

std::string processor_name() {
  char name[MPI_MAX_PROCESSOR_NAME];
  int length = 0;
  check(MPI_Get_processor_name(name, &length), "MPI_Get_processor_name");
  return std::string(name, static_cast<std::size_t>(length));
}

}  // namespace scaleout::comm
