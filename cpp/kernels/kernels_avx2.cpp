// AVX2 + FMA build of the kernel bodies; the only file compiled with -mavx2 -mfma (see CMakeLists.txt).
#define CORESAMPLE_KERNEL_NS avx2
#include "kernels/kernels-inl.h"

namespace coresample {

const KernelTable& kernel_table_avx2() {
  static const KernelTable table{SimdLevel::kAvx2, &avx2::nearest_center_f32,
                                 &avx2::nearest_center_f64,
                                 &avx2::squared_distances_f32, &avx2::squared_distances_f64};
  return table;
}

}  // namespace coresample
