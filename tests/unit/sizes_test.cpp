#include "runs/sizes.hpp"

#include <gtest/gtest.h>

#include "runs/usage_error.hpp"

namespace scaleout::runs {
namespace {

std::string error_of(const std::string& text) {
  try {
    parse_sizes(text, "--sizes");
  } catch (const UsageError& error) {
    return error.what();
  }
  return "(accepted)";
}

TEST(Sizes, RatesInTcUnits) {
  EXPECT_DOUBLE_EQ(*parse_bit_rate("100gbit"), 100e9);
  EXPECT_DOUBLE_EQ(*parse_bit_rate("200Mbit"), 200e6);
  EXPECT_DOUBLE_EQ(*parse_bit_rate("2.5gbit"), 2.5e9);
  EXPECT_DOUBLE_EQ(*parse_bit_rate("500kbit"), 500e3);
  EXPECT_DOUBLE_EQ(*parse_bit_rate("1000"), 1000.0);
  for (const char* bad : {"", "fast", "gbit", "-1gbit", "0gbit", "10gb", "nan", "inf", "1e999gbit"}) {
    EXPECT_FALSE(parse_bit_rate(bad).has_value()) << bad;
  }
  EXPECT_DOUBLE_EQ(parse_rate_bytes("1gbit", "--expect-rate"), 125e6);
  try {
    (void)parse_rate_bytes("fast", "--expect-rate");
    ADD_FAILURE() << "no usage error";
  } catch (const UsageError& error) {
    EXPECT_STREQ(error.what(), "--expect-rate: 'fast' is not a rate; use for example 100gbit, 25gbit or 200mbit");
  }
}

TEST(Sizes, BytesWithBinaryUnits) {
  EXPECT_EQ(parse_bytes("4096", "--x"), 4096u);
  EXPECT_EQ(parse_bytes("4K", "--x"), 4096u);
  EXPECT_EQ(parse_bytes("4k", "--x"), 4096u);
  EXPECT_EQ(parse_bytes("4KiB", "--x"), 4096u);
  EXPECT_EQ(parse_bytes("4KB", "--x"), 4096u);
  EXPECT_EQ(parse_bytes("64M", "--x"), 64u << 20);
  EXPECT_EQ(parse_bytes("2G", "--x"), 2ull << 30);
  EXPECT_EQ(parse_bytes("1T", "--x"), 1ull << 40);
  EXPECT_EQ(parse_bytes(" 8 ", "--x"), 8u);
  EXPECT_EQ(parse_bytes("100B", "--x"), 100u);
}

TEST(Sizes, RangesAreGeometric) {
  EXPECT_EQ(parse_sizes("4K:64M:4", "--sizes"),
            (std::vector<std::uint64_t>{4096, 16384, 65536, 262144, 1 << 20, 4 << 20, 16 << 20, 64 << 20}));
  EXPECT_EQ(parse_sizes("1K:4K", "--sizes"), (std::vector<std::uint64_t>{1024, 2048, 4096}));
  EXPECT_EQ(parse_sizes("1K:5K:2", "--sizes"), (std::vector<std::uint64_t>{1024, 2048, 4096}));
  EXPECT_EQ(parse_sizes("8:8", "--sizes"), (std::vector<std::uint64_t>{8}));
  // The last step must not overflow 64 bits.
  EXPECT_EQ(parse_sizes("8T:16T:1000000", "--sizes").size(), 1u);
}

TEST(Sizes, ListsKeepTheirOrder) {
  EXPECT_EQ(parse_sizes("64K,1M,16M", "--sizes"), (std::vector<std::uint64_t>{65536, 1 << 20, 16 << 20}));
  EXPECT_EQ(parse_sizes("1M", "--sizes"), (std::vector<std::uint64_t>{1 << 20}));
}

TEST(Sizes, BadInputNamesTheArgumentAndWhatIsAllowed) {
  EXPECT_NE(error_of("4X").find("--sizes: '4X' has an unknown unit"), std::string::npos);
  EXPECT_NE(error_of("64M:4K").find("minimum 64M above its maximum 4K"), std::string::npos);
  EXPECT_NE(error_of("4K:64M:1").find("factor must be a whole number of at least 2"), std::string::npos);
  EXPECT_NE(error_of("4K:64M:x").find("factor"), std::string::npos);
  EXPECT_NE(error_of("0").find("is zero"), std::string::npos);
  EXPECT_NE(error_of("").find("is empty"), std::string::npos);
  EXPECT_NE(error_of("-4K").find("--sizes: '-4K'"), std::string::npos);
  EXPECT_NE(error_of("1K,,2K").find("is empty"), std::string::npos);
  EXPECT_NE(error_of("1:2:3:4").find("not a range"), std::string::npos);
  EXPECT_NE(error_of("1K:2K,4K").find("not a range"), std::string::npos);
  EXPECT_NE(error_of("99999999999999999999").find("too large"), std::string::npos);
  EXPECT_NE(error_of("16777216T").find("too large"), std::string::npos);
  EXPECT_NE(error_of("nan").find("is not a whole number"), std::string::npos);
  EXPECT_NE(error_of("1.5M").find("unknown unit"), std::string::npos);
}

TEST(Sizes, FormatIsTheShortestExactBinaryForm) {
  EXPECT_EQ(format_bytes(4096), "4K");
  EXPECT_EQ(format_bytes(1536), "1536");
  EXPECT_EQ(format_bytes(1 << 20), "1M");
  EXPECT_EQ(format_bytes(3ull << 30), "3G");
  EXPECT_EQ(format_bytes(0), "0");
}

}  // namespace
}  // namespace scaleout::runs
