// Philox 4x32-10 against the Random123 known-answer vectors, and the
// distributions built on it.
#include <catch2/catch.hpp>

#include <cmath>

#include "crmsim/rng.hpp"

using crmsim::PhiloxBlock;
using crmsim::philox4x32_10;

TEST_CASE("Philox 4x32-10 matches the Random123 known-answer vectors", "[rng]") {
  // kat_vectors from Random123 1.09 (Salmon et al.), philox4x32 with 10 rounds.
  CHECK(philox4x32_10({0, 0, 0, 0}, {0, 0}) ==
        PhiloxBlock{0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u});
  CHECK(philox4x32_10({0xffffffffu, 0xffffffffu, 0xffffffffu, 0xffffffffu},
                      {0xffffffffu, 0xffffffffu}) ==
        PhiloxBlock{0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu});
  CHECK(philox4x32_10({0x243f6a88u, 0x85a308d3u, 0x13198a2eu, 0x03707344u},
                      {0xa4093822u, 0x299f31d0u}) ==
        PhiloxBlock{0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u});
}

TEST_CASE("draws depend on seed, purpose, agent and day", "[rng]") {
  using crmsim::Purpose;
  const auto base = crmsim::draw_block(7, Purpose::lifecycle, 10, 3, 0);
  CHECK(base == crmsim::draw_block(7, Purpose::lifecycle, 10, 3, 0));
  CHECK(base != crmsim::draw_block(8, Purpose::lifecycle, 10, 3, 0));
  CHECK(base != crmsim::draw_block(7, Purpose::purchases, 10, 3, 0));
  CHECK(base != crmsim::draw_block(7, Purpose::lifecycle, 11, 3, 0));
  CHECK(base != crmsim::draw_block(7, Purpose::lifecycle, 10, 4, 0));
  CHECK(base != crmsim::draw_block(7, Purpose::lifecycle, 10, 3, 1));
  // The high word of a 64-bit seed matters too.
  CHECK(base != crmsim::draw_block(7 + (std::uint64_t{1} << 32), Purpose::lifecycle, 10, 3, 0));
}

TEST_CASE("uniform words are uniform", "[rng]") {
  // 200,000 words into 10 bins: chi-square with 9 degrees of freedom stays
  // below 27.9 with probability 0.999.
  constexpr int n = 200000;
  int bins[10] = {};
  for (std::uint32_t i = 0; i < n / 4; ++i) {
    for (auto w : crmsim::draw_block(1, crmsim::Purpose::lifecycle, i, 1, 0)) {
      ++bins[static_cast<std::uint64_t>(w) * 10 >> 32];
    }
  }
  double chi2 = 0.0;
  for (int b : bins) chi2 += (b - n / 10.0) * (b - n / 10.0) / (n / 10.0);
  CHECK(chi2 < 27.9);
}

TEST_CASE("Gamma and Beta draws have the right moments", "[rng]") {
  // Mean of 40,000 draws: standard error sqrt(var / n); tolerance 5 standard errors.
  constexpr int n = 40000;
  for (double shape : {0.4, 1.0, 2.5, 9.0}) {
    double sum = 0.0;
    double sum2 = 0.0;
    for (std::uint32_t i = 0; i < n; ++i) {
      crmsim::DrawStream s(3, crmsim::Purpose::traits, i, 0);
      const double x = s.gamma(shape);
      REQUIRE(x >= 0.0);
      sum += x;
      sum2 += x * x;
    }
    const double mean = sum / n;
    const double var = sum2 / n - mean * mean;
    CHECK(std::abs(mean - shape) < 5.0 * std::sqrt(shape / n));
    CHECK(std::abs(var - shape) < 0.05 * shape + 5.0 * std::sqrt(6.0 * shape * shape / n));
  }
  double sum = 0.0;
  for (std::uint32_t i = 0; i < n; ++i) {
    crmsim::DrawStream s(4, crmsim::Purpose::traits, i, 0);
    const double x = s.beta(0.7, 2.1);
    REQUIRE(x >= 0.0);
    REQUIRE(x <= 1.0);
    sum += x;
  }
  const double mean = 0.7 / 2.8;
  const double sd = std::sqrt(0.7 * 2.1 / (2.8 * 2.8 * 3.8));
  CHECK(std::abs(sum / n - mean) < 5.0 * sd / std::sqrt(double(n)));
}

TEST_CASE("probability thresholds turn shares into word comparisons", "[rng]") {
  CHECK(crmsim::probability_threshold(0.0) == 0);
  CHECK(crmsim::probability_threshold(-1.0) == 0);
  CHECK(crmsim::probability_threshold(1.0) == (std::uint64_t{1} << 32));
  CHECK(crmsim::probability_threshold(0.5) == (std::uint64_t{1} << 31));
  CHECK(crmsim::to_open_unit(0) > 0.0);
  CHECK(crmsim::to_open_unit(0xffffffffu) < 1.0);
}

TEST_CASE("batched lifecycle words equal the reference bijection", "[rng]") {
  std::uint32_t words[4 * crmsim::lifecycle_batch_pairs];
  for (std::uint64_t seed : {std::uint64_t{0}, std::uint64_t{12345}, (std::uint64_t{7} << 32) + 9}) {
    crmsim::lifecycle_words(seed, 17, 1000, crmsim::lifecycle_batch_pairs, words);
    for (std::uint32_t k = 0; k < crmsim::lifecycle_batch_pairs; ++k) {
      const auto expected = crmsim::draw_block(seed, crmsim::Purpose::lifecycle, 1000 + k, 17, 0);
      for (int j = 0; j < 4; ++j) REQUIRE(words[4 * k + j] == expected[static_cast<std::size_t>(j)]);
    }
  }
}
