// Continuous distributions on top of DrawStream. Used at initialisation and
// for rare events (a purchase's spend), never for the common "nothing
// happens today" case.
#include <cmath>
#include <numbers>

#include "crmsim/rng.hpp"

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

double DrawStream::beta(double a, double b) noexcept {
  const double x = gamma(a);
  const double y = gamma(b);
  const double sum = x + y;
  // Both shapes tiny can underflow both Gammas to zero; split by the mean then.
  if (!(sum > 0.0)) return uniform() < a / (a + b) ? 1.0 : 0.0;
  return x / sum;
}

}  // namespace crmsim
