// Continuous distributions on top of DrawStream. Used at initialisation and
// for rare events (a purchase's spend), never for the common "nothing
// happens today" case.
#include <cmath>
#include <numbers>

#include "crmsim/rng.hpp"
#include "target_clones.hpp"

namespace crmsim {

double DrawStream::normal() noexcept {
  if (has_cached_normal_) {
    has_cached_normal_ = false;
    return cached_normal_;
  }
  const double radius = std::sqrt(-2.0 * std::log(uniform()));
  const double angle = 2.0 * std::numbers::pi * uniform();
  cached_normal_ = radius * std::sin(angle);
  has_cached_normal_ = true;
  return radius * std::cos(angle);
}

double DrawStream::gamma(double shape) noexcept {
  // Shapes below one: Gamma(a) = Gamma(a + 1) * U^(1/a) (Marsaglia & Tsang, 2000).
  if (shape < 1.0) {
    const double boost = std::pow(uniform(), 1.0 / shape);
    return gamma(shape + 1.0) * boost;
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1.0 / std::sqrt(9.0 * d);
  for (;;) {
    double x = 0.0;
    double v = 0.0;
    do {
      x = normal();
      v = 1.0 + c * x;
    } while (v <= 0.0);
    v = v * v * v;
    const double u = uniform();
    if (u < 1.0 - 0.0331 * (x * x) * (x * x)) return d * v;
    if (std::log(u) < 0.5 * x * x + d * (1.0 - v + std::log(v))) return d * v;
  }
}

// The same rounds as philox4x32_10, lane by lane over a batch so that the
// compiler turns them into vector multiplies (vpmuludq).
CRMSIM_TARGET_CLONES
void lifecycle_words(std::uint64_t seed, std::uint32_t day, std::uint32_t first_pair,
                     std::uint32_t pairs, std::uint32_t* out) noexcept {
  constexpr std::uint32_t n = lifecycle_batch_pairs;
  std::uint32_t c0[n], c1[n], c2[n], c3[n];
  const PhiloxKey key0 = make_key(seed, Purpose::lifecycle);
  const auto seed_hi = static_cast<std::uint32_t>(seed >> 32);
  for (std::uint32_t k = 0; k < n; ++k) {
    c0[k] = first_pair + k;
    c1[k] = day;
    c2[k] = 0;
    c3[k] = seed_hi;
  }
  std::uint32_t k0 = key0[0];
  std::uint32_t k1 = key0[1];
  for (int round = 0; round < 10; ++round) {
    if (round > 0) {
      k0 += 0x9E3779B9u;
      k1 += 0xBB67AE85u;
    }
    for (std::uint32_t k = 0; k < n; ++k) {
      const std::uint64_t p0 = std::uint64_t{0xD2511F53u} * c0[k];
      const std::uint64_t p1 = std::uint64_t{0xCD9E8D57u} * c2[k];
      const auto n0 = static_cast<std::uint32_t>(p1 >> 32) ^ c1[k] ^ k0;
      const auto n2 = static_cast<std::uint32_t>(p0 >> 32) ^ c3[k] ^ k1;
      c1[k] = static_cast<std::uint32_t>(p1);
      c3[k] = static_cast<std::uint32_t>(p0);
      c0[k] = n0;
      c2[k] = n2;
    }
  }
  for (std::uint32_t k = 0; k < pairs && k < n; ++k) {
    out[4 * k] = c0[k];
    out[4 * k + 1] = c1[k];
    out[4 * k + 2] = c2[k];
    out[4 * k + 3] = c3[k];
  }
}

double DrawStream::beta(double a, double b) noexcept {
  const double x = gamma(a);
  const double y = gamma(b);
  const double sum = x + y;
  // Both shapes tiny can underflow both Gammas to zero; split by the mean then.
  if (!(sum > 0.0)) return uniform() < a / (a + b) ? 1.0 : 0.0;
  return x / sum;
}

}  // namespace crmsim
