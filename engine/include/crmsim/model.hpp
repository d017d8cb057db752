// Which model moves the customers, chosen once per run.
//
//   lifecycle  the customer-lifecycle model of the rest of the engine
//              (prospect -> lead -> new -> active/developed/at_risk -> lapsed)
//   btyd       buy-till-you-die, BG/NBD (Fader, Hardie & Lee 2005): while
//              alive a customer buys as a Poisson process with rate
//              lambda ~ Gamma(r, alpha) per period, and drops out with
//              probability p ~ Beta(a, b) right after each repeat purchase;
//              spend per purchase Gamma-Gamma (Fader & Hardie 2013)
//   sbg        shifted-beta-geometric contracts (Fader & Hardie 2007): each
//              customer's churn probability per period theta ~ Beta(alpha,
//              beta); at each period's end a customer renews (and pays the
//              period's fee) or churns
//
// In btyd and sbg the KPI table reads: `prospect` = not yet a customer (an
// entry later in the run, or never), `active` = alive (btyd) or subscribed
// (sbg), `lapsed` = dropped out or churned (for good); `acquisitions` =
// first purchases (btyd) or sign-ups (sbg), `defections` = dropouts or
// churns, `purchases` = repeat purchases (btyd; the first purchase is the
// acquisition) or paid periods (sbg: renewals and sign-ups), `revenue_cents`
// = their spend or fees. Every other column stays 0.
#pragma once

#include <array>
#include <cstdint>
#include <string_view>
#include <vector>

namespace crmsim {

/// The model of a run.
enum class ModelKind : std::uint8_t {
  lifecycle = 0,  ///< the customer-lifecycle model (default)
  btyd = 1,       ///< buy-till-you-die: BG/NBD purchases and dropout, Gamma-Gamma spend
  sbg = 2,        ///< contracts: shifted-beta-geometric churn once per period
};

/// Number of model kinds.
inline constexpr int model_kind_count = 3;

/// Model names as scenarios write them.
inline constexpr std::array<std::string_view, model_kind_count> model_kind_names = {"lifecycle",
                                                                                    "btyd", "sbg"};

/// The run's model and its time unit.
struct ModelSpec {
  ModelKind kind = ModelKind::lifecycle;  ///< which model moves the customers
  /// Days in one model period: btyd rates are per period (7 = the purchase
  /// rates are per week, as in the CDNOW studies); sbg decides renewal every
  /// period_days days after a customer's sign-up (365 = yearly contracts).
  /// The engine still steps one day at a time. Unused by lifecycle.
  int period_days = 1;
};

/// Customers who enter on one day (btyd: first purchase; sbg: sign-up).
struct EntrySpec {
  int day = 1;                 ///< simulation day of entry, 1..days
  std::int64_t customers = 0;  ///< people entering that day
};

/// Gamma-Gamma spend per purchase (Fader & Hardie 2013): each customer's
/// spend is Gamma(p, nu) with nu ~ Gamma(q, gamma) across customers; mean
/// spend p * gamma / (q - 1) for q > 1.
struct GammaGammaSpend {
  double p = 0.0;      ///< shape of spend per purchase
  double q = 0.0;      ///< shape of nu across customers
  double gamma = 0.0;  ///< rate (scale of 1/nu) across customers, currency units
};

/// BG/NBD parameters of one segment (model btyd).
struct BtydParams {
  double r = 0.0;      ///< Gamma shape of the purchase rate lambda
  double alpha = 0.0;  ///< Gamma rate of lambda, in periods (mean lambda = r / alpha per period)
  double a = 0.0;      ///< Beta a of the dropout probability p
  double b = 0.0;      ///< Beta b of p (mean p = a / (a + b))
  double dropout_multiplier =
      1.0;  ///< factor on every customer's p (a retention what-if), result capped at 1
  bool has_spend = false;  ///< false: purchases carry no revenue
  GammaGammaSpend spend;   ///< spend per repeat purchase, when has_spend
};

/// sBG parameters of one segment (model sbg).
struct SbgParams {
  double alpha =
      0.0;  ///< Beta alpha of the churn probability theta; 0 with beta 0: theta = churn for all
  double beta = 0.0;  ///< Beta beta of theta
  double churn =
      0.0;  ///< the churn probability per period of every customer, when alpha and beta are 0
  double churn_multiplier =
      1.0;           ///< factor on every customer's theta (a retention what-if), capped at 1
  double fee = 0.0;  ///< revenue per paid period (sign-up and each renewal), currency units
};

struct ScenarioSpec;

/// Throws ScenarioError naming the first model field the engine cannot run
/// with (called by validate()).
void validate_model(const ScenarioSpec& spec);

}  // namespace crmsim
