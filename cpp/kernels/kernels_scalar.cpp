// Baseline build of the portable kernel body (whatever the baseline ISA vectorises to); the ground truth for kernel tests.
#define CORESAMPLE_KERNEL_NS scalar
#include "kernels/kernels-inl.h"

namespace coresample {

namespace scalar {
namespace {

void nearest_center_f32(const float* x, index_t m, index_t d, const float* packed,
                        const float* norms, index_t k, float* best, index_t* labels, float*) {
  nearest_center<float>(x, m, d, packed, norms, k, best, labels);
}

void nearest_center_f64(const double* x, index_t m, index_t d, const double* packed,
                        const double* norms, index_t k, double* best, index_t* labels, double*) {
  nearest_center<double>(x, m, d, packed, norms, k, best, labels);
}

void row_norms_f32(const float* x, index_t m, index_t d, double* out) {
  row_norms<float, PlainMadd>(x, m, d, out);
}

void row_norms_f64(const double* x, index_t m, index_t d, double* out) {
  row_norms<double, PlainMadd>(x, m, d, out);
}

void trial_distances_f32(const float* x, index_t m, index_t d, const double* x_norms,
                         const double* points_t, const double* p_norms, index_t L, double* out,
                         index_t stride, float*) {
  trial_distances<float, PlainMadd>(x, m, d, x_norms, points_t, p_norms, L, out, stride);
}

void trial_distances_f64(const double* x, index_t m, index_t d, const double* x_norms,
                         const double* points_t, const double* p_norms, index_t L, double* out,
                         index_t stride, double*) {
  trial_distances<double, PlainMadd>(x, m, d, x_norms, points_t, p_norms, L, out, stride);
}

}  // namespace
}  // namespace scalar

const KernelTable& kernel_table_scalar() {
  static const KernelTable table{SimdLevel::kScalar, scalar::kPortableTile<float>,
                                 scalar::kPortableTile<double>, &scalar::nearest_center_f32,
                                 &scalar::nearest_center_f64,
                                 &scalar::row_norms_f32, &scalar::row_norms_f64,
                                 &scalar::trial_distances_f32, &scalar::trial_distances_f64,
                                 nullptr,
                                 &scalar::add_rows_f32, &scalar::add_rows_f64,
                                 &scalar::key_filter};
  return table;
}

}  // namespace coresample
