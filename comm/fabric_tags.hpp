#pragma once
// The tags of the messages `scaleout fabric` (comm/fabric.cpp) and the background traffic
// (comm/background.cpp) exchange on the same communicator, in one list so that none is used twice.

namespace scaleout::comm::fabric_tag {

// comm/fabric.cpp: the pair's meeting, the payload, the ping-pong, the receiver's go.
inline constexpr int handshake = 7101;
inline constexpr int data = 7102;
inline constexpr int ping = 7103;
inline constexpr int go = 7104;
// comm/background.cpp: the team's first unit done, stop, the load itself, start or end, halted.
inline constexpr int loaded = 7105;
inline constexpr int stop = 7106;
inline constexpr int load = 7107;
inline constexpr int command = 7108;
inline constexpr int halted = 7109;

}  // namespace scaleout::comm::fabric_tag
