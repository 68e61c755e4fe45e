#pragma once
// Move-only RAII over MPI_Comm. A communicator the tool creates (duplicate, split) is freed when its
// owner goes; the world communicator is only viewed, never freed. Every communicator the tool creates
// returns errors instead of aborting, and the wrappers turn them into MpiError.

#include <mpi.h>

#include <string>

namespace scaleout::comm {

class Communicator {
 public:
  // A view of MPI_COMM_WORLD: rank and size work, nothing is freed. Duplicate it before communicating
  // for the tool's own purposes.
  static Communicator world() noexcept { return Communicator(MPI_COMM_WORLD, false); }

  Communicator() noexcept = default;
  ~Communicator();
  Communicator(Communicator&& other) noexcept;
  Communicator& operator=(Communicator&& other) noexcept;
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  Communicator duplicate() const;
  // MPI_Comm_split; a rank that passes MPI_UNDEFINED as colour gets a null communicator.
  Communicator split(int color, int key) const;
  // The ranks that share memory with this one (MPI_COMM_TYPE_SHARED), ordered by `key`.
  Communicator split_shared(int key) const;

  int rank() const;
  int size() const;
  void barrier() const;

  bool is_null() const noexcept { return handle_ == MPI_COMM_NULL; }
  bool owns() const noexcept { return owned_; }
  MPI_Comm native() const noexcept { return handle_; }

 private:
  Communicator(MPI_Comm handle, bool owned) noexcept : handle_(handle), owned_(owned) {}
  static Communicator adopt(MPI_Comm created);
  void release() noexcept;

  MPI_Comm handle_ = MPI_COMM_NULL;
  bool owned_ = false;
};

// The name this host goes by (MPI_Get_processor_name).
std::string processor_name();

}  // namespace scaleout::comm
