#include "comm/element_type.hpp"

#include <gtest/gtest.h>

#include <cmath>
#include <limits>

namespace scaleout::comm {
namespace {

TEST(ElementType, NamesSizesAndParsing) {
  EXPECT_EQ(size_of(ElementType::fp32), 4u);
  EXPECT_EQ(size_of(ElementType::bf16), 2u);
  EXPECT_EQ(parse_element_type("fp32"), ElementType::fp32);
  EXPECT_EQ(parse_element_type("bf16"), ElementType::bf16);
  EXPECT_FALSE(parse_element_type("fp16"));
  EXPECT_EQ(name(ElementType::bf16), "bf16");
}

TEST(Bf16, ConvertsExactValuesExactly) {
  EXPECT_EQ(to_bf16(1.0f), 0x3f80);
  EXPECT_EQ(to_bf16(-2.0f), 0xc000);
  EXPECT_EQ(to_bf16(0.0f), 0x0000);
  for (int i = -256; i <= 256; ++i) EXPECT_EQ(from_bf16(to_bf16(static_cast<float>(i))), static_cast<float>(i));
}

TEST(Bf16, RoundsToNearestTiesToEven) {
  // 1 + 2^-8 lies halfway between 1 and 1 + 2^-7: the tie goes to the even significand, 1.
  EXPECT_EQ(to_bf16(1.0f + 1.0f / 256), 0x3f80);
  // 1 + 3 * 2^-8 lies halfway between 1 + 2^-7 and 1 + 2^-6: the even one is 1 + 2^-6.
  EXPECT_EQ(to_bf16(1.0f + 3.0f / 256), 0x3f82);
  // Just above the halfway point rounds up.
  EXPECT_EQ(to_bf16(1.0f + 1.0f / 256 + 1.0f / 65536), 0x3f81);
  // 257 is not representable: it rounds to 256 (even), 259 to 260.
  EXPECT_EQ(from_bf16(to_bf16(257.0f)), 256.0f);
  EXPECT_EQ(from_bf16(to_bf16(259.0f)), 260.0f);
}

TEST(Bf16, KeepsNanAndInfinity) {
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::numeric_limits<float>::quiet_NaN()))));
  EXPECT_TRUE(std::isnan(from_bf16(to_bf16(std::bit_cast<float>(0x7f800001u)))));  // signalling NaN
  EXPECT_EQ(from_bf16(to_bf16(std::numeric_limits<float>::infinity())), std::numeric_limits<float>::infinity());
}

TEST(Bf16, AddSumsElementwiseWithRounding) {
  const std::uint16_t in[3] = {to_bf16(1.0f), to_bf16(-3.0f), to_bf16(256.0f)};
  std::uint16_t inout[3] = {to_bf16(2.0f), to_bf16(3.0f), to_bf16(1.0f)};
  add_bf16(in, inout, 3);
  EXPECT_EQ(from_bf16(inout[0]), 3.0f);
  EXPECT_EQ(from_bf16(inout[1]), 0.0f);
  EXPECT_EQ(from_bf16(inout[2]), 256.0f);  // 257 is not a bf16
}

}  // namespace
}  // namespace scaleout::comm
