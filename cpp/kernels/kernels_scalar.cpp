// Baseline build of the kernel bodies (whatever the baseline ISA vectorises to); the ground truth for kernel tests.
#define CORESAMPLE_KERNEL_NS scalar
#include "kernels/kernels-inl.h"

namespace coresample {

const KernelTable& kernel_table_scalar() {
  static const KernelTable table{SimdLevel::kScalar, &scalar::nearest_center_f32,
                                 &scalar::nearest_center_f64,
                                 &scalar::squared_distances_f32, &scalar::squared_distances_f64};
  return table;
}

}  // namespace coresample
