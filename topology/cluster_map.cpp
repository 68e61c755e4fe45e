#include "topology/cluster_discovery.hpp"

#include <mpi.h>

#include <algorithm>

#include "comm/error.hpp"
#include "comm/gather.hpp"
#include "topology/topology.hpp"

namespace scaleout::topology {

NodeIdentity identify_node(const comm::Communicator& comm, const std::string& hostname) {
  const int rank = comm.rank();
  NodeIdentity identity;
  identity.hostname = hostname.empty() ? comm::processor_name() : hostname;

  // Within one shared-memory domain, a distinct hostname is a distinct node: colour by the lowest
  // local rank that has the same hostname.
  const comm::Communicator shared = comm.split_shared(rank);
  const std::vector<std::string> names = comm::allgather_strings(shared, identity.hostname);
  const auto first = std::find(names.begin(), names.end(), identity.hostname) - names.begin();
  identity.node_comm = shared.split(static_cast<int>(first), rank);
  identity.local_rank = identity.node_comm.rank();
  identity.local_size = identity.node_comm.size();

  // Number the nodes by their first ranks: leaders split off (key = world rank) and count themselves.
  const comm::Communicator leaders = comm.split(identity.local_rank == 0 ? 0 : MPI_UNDEFINED, rank);
  int numbering[2] = {0, 0};
  if (!leaders.is_null()) {
    numbering[0] = leaders.rank();
    numbering[1] = leaders.size();
  }
  comm::check(MPI_Bcast(numbering, 2, MPI_INT, 0, identity.node_comm.native()), "MPI_Bcast");
  identity.node = numbering[0];
  identity.nodes = numbering[1];
  return identity;
}

ClusterMap gather_cluster_map(const comm::Communicator& comm) {
  const NodeIdentity identity = identify_node(comm);
  const bool leader = identity.local_rank == 0;

  std::string xml;
  std::string summary;
  if (leader) {
    const Topology discovered = Topology::discover();
    xml = discovered.export_xml();
    summary = nlohmann::json(summarize(discovered, identity.hostname)).dump();
  }
  xml = comm::broadcast_string(identity.node_comm, xml, 0);
  const Topology local = Topology::from_xml_text(xml, /*this_system=*/true);

  const RankPlacement placement{comm.rank(), identity.node, identity.local_rank, identity.hostname,
                                current_binding(local)};
  const std::vector<std::string> placements = comm::gather_strings(comm, nlohmann::json(placement).dump(), 0);

  // Node summaries and XML travel among the node leaders only; world rank 0 leads node 0.
  const comm::Communicator leaders = comm.split(leader ? 0 : MPI_UNDEFINED, comm.rank());
  std::vector<std::string> summaries;
  std::vector<std::string> xmls;
  if (leader) {
    summaries = comm::gather_strings(leaders, summary, 0);
    xmls = comm::gather_strings(leaders, xml, 0);
  }

  ClusterMap map;
  if (comm.rank() != 0) return map;
  for (const std::string& text : summaries) map.nodes.push_back(nlohmann::json::parse(text).get<NodeSummary>());
  map.xml = std::move(xmls);
  for (const std::string& text : placements) map.ranks.push_back(nlohmann::json::parse(text).get<RankPlacement>());
  return map;
}

void to_json(nlohmann::json& out, const RankPlacement& p) {
  out = {{"rank", p.rank},
         {"node", p.node},
         {"local_rank", p.local_rank},
         {"hostname", p.hostname},
         {"binding", p.binding}};
}

void from_json(const nlohmann::json& in, RankPlacement& p) {
  in.at("rank").get_to(p.rank);
  in.at("node").get_to(p.node);
  in.at("local_rank").get_to(p.local_rank);
  in.at("hostname").get_to(p.hostname);
  in.at("binding").get_to(p.binding);
}

}  // namespace scaleout::topology
