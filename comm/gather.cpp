#include "comm/gather.hpp"

#include <numeric>

#include "comm/error.hpp"
#include "comm/operations.hpp"

namespace scaleout::comm {

namespace {
std::vector<std::string> split(const std::string& joined, const std::vector<int>& lengths) {
  std::vector<std::string> parts;
  parts.reserve(lengths.size());
  std::size_t offset = 0;
  for (const int length : lengths) {
    parts.push_back(joined.substr(offset, static_cast<std::size_t>(length)));
    offset += static_cast<std::size_t>(length);
  }
  return parts;
}

std::vector<int> displacements(const std::vector<int>& lengths) {
  std::vector<int> offsets(lengths.size(), 0);
  if (!lengths.empty()) std::exclusive_scan(lengths.begin(), lengths.end(), offsets.begin(), 0);
  return offsets;
}
}  // namespace

std::vector<std::string> gather_strings(const Communicator& comm, const std::string& text, int root) {
  const bool at_root = comm.rank() == root;
  const int length = mpi_count(text.size());
  std::vector<int> lengths(at_root ? static_cast<std::size_t>(comm.size()) : 0);
  check(MPI_Gather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, root, comm.native()), "MPI_Gather");
  const std::vector<int> offsets = displacements(lengths);
  std::string joined(at_root ? static_cast<std::size_t>(std::accumulate(lengths.begin(), lengths.end(), 0L)) : 0, '\0');
  check(MPI_Gatherv(text.data(), length, MPI_CHAR, joined.data(), lengths.data(), offsets.data(), MPI_CHAR, root,
                    comm.native()),
        "MPI_Gatherv");
  return at_root ? split(joined, lengths) : std::vector<std::string>{};
}

std::vector<std::string> allgather_strings(const Communicator& comm, const std::string& text) {
  const int length = mpi_count(text.size());
  std::vector<int> lengths(static_cast<std::size_t>(comm.size()));
  check(MPI_Allgather(&length, 1, MPI_INT, lengths.data(), 1, MPI_INT, comm.native()), "MPI_Allgather");
  const std::vector<int> offsets = displacements(lengths);
  std::string joined(static_cast<std::size_t>(std::accumulate(lengths.begin(), lengths.end(), 0L)), '\0');
  check(MPI_Allgatherv(text.data(), length, MPI_CHAR, joined.data(), lengths.data(), offsets.data(), MPI_CHAR,
                       comm.native()),
        "MPI_Allgatherv");
  return split(joined, lengths);
}

std::string broadcast_string(const Communicator& comm, const std::string& text, int root) {
  unsigned long length = text.size();
  check(MPI_Bcast(&length, 1, MPI_UNSIGNED_LONG, root, comm.native()), "MPI_Bcast");
  std::string result = comm.rank() == root ? text : std::string(length, '\0');
  check(MPI_Bcast(result.data(), mpi_count(length), MPI_CHAR, root, comm.native()), "MPI_Bcast");
  return result;
}

std::vector<std::byte> gather_blocks(const Communicator& comm, std::span<const std::byte> block, int root) {
  const bool at_root = comm.rank() == root;
  const int length = mpi_count(block.size());
  std::vector<std::byte> all(at_root ? block.size() * static_cast<std::size_t>(comm.size()) : 0);
  check(MPI_Gather(block.data(), length, MPI_BYTE, all.data(), length, MPI_BYTE, root, comm.native()), "MPI_Gather");
  return all;
}

std::vector<std::byte> allgather_blocks(const Communicator& comm, std::span<const std::byte> block) {
  const int length = mpi_count(block.size());
  std::vector<std::byte> all(block.size() * static_cast<std::size_t>(comm.size()));
  check(MPI_Allgather(block.data(), length, MPI_BYTE, all.data(), length, MPI_BYTE, comm.native()), "MPI_Allgather");
  return all;
}

bool any_rank(const Communicator& comm, bool flag) { return max_over_ranks(comm, flag ? 1 : 0) != 0; }

int max_over_ranks(const Communicator& comm, int value) {
  int largest = 0;
  check(MPI_Allreduce(&value, &largest, 1, MPI_INT, MPI_MAX, comm.native()), "MPI_Allreduce");
  return largest;
}

}  // namespace scaleout::comm
