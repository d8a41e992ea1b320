# Decides whether the CUDA kernels are built and, if so, enables CUDA.
# Included at file scope (enable_language must not run inside a function) by
# the top-level CMakeLists.txt and by the standalone runtime/cuda build.
#   ATTNC_CUDA=AUTO (default): build them when nvcc is found, else skip.
#   ATTNC_CUDA=ON: nvcc is required.   ATTNC_CUDA=OFF: never build them.
# Sets ATTNC_CUDA_ENABLED.

set(ATTNC_CUDA AUTO CACHE STRING "Build the CUDA kernels in runtime/cuda: AUTO, ON or OFF")
set_property(CACHE ATTNC_CUDA PROPERTY STRINGS AUTO ON OFF)
string(TOUPPER "${ATTNC_CUDA}" _attnc_cuda_mode)
if(_attnc_cuda_mode MATCHES "^(ON|TRUE|YES|Y|1)$")
  set(_attnc_cuda_mode ON)
elseif(_attnc_cuda_mode MATCHES "^(OFF|FALSE|NO|N|0)$")
  set(_attnc_cuda_mode OFF)
elseif(NOT _attnc_cuda_mode STREQUAL "AUTO")
  message(FATAL_ERROR "ATTNC_CUDA must be AUTO, ON or OFF, not '${ATTNC_CUDA}'")
endif()

set(ATTNC_CUDA_ENABLED OFF)
set(_attnc_cuda_missing "")
if(_attnc_cuda_mode STREQUAL "OFF")
  message(STATUS "attnc: CUDA kernels (runtime/cuda) disabled (ATTNC_CUDA=OFF)")
else()
  if(CMAKE_CUDA_COMPILER)
    # check_language() trusts a preset compiler; test it here so a wrong path
    # is reported (or skipped under AUTO) instead of failing in enable_language.
    set(_attnc_nvcc "${CMAKE_CUDA_COMPILER}")
    if(NOT IS_ABSOLUTE "${_attnc_nvcc}")
      unset(_attnc_nvcc)
      find_program(_attnc_nvcc NAMES "${CMAKE_CUDA_COMPILER}" NO_CACHE)
    endif()
    if(NOT _attnc_nvcc OR NOT EXISTS "${_attnc_nvcc}")
      set(_attnc_cuda_missing "CMAKE_CUDA_COMPILER=${CMAKE_CUDA_COMPILER} not found")
    endif()
  else()
    # A NOTFOUND result is cached; look again so a toolkit installed since is seen.
    unset(CMAKE_CUDA_COMPILER CACHE)
    include(CheckLanguage)
    check_language(CUDA)
    if(NOT CMAKE_CUDA_COMPILER AND NOT DEFINED ENV{CUDACXX}
       AND EXISTS /usr/local/cuda/bin/nvcc)
      # CMake searches PATH and CUDA_PATH only; this is the toolkit's default
      # location (scripts/install-deps.sh looks there too).
      unset(CMAKE_CUDA_COMPILER)  # check_language also sets a normal variable
      unset(CMAKE_CUDA_COMPILER CACHE)
      set(ENV{CUDACXX} /usr/local/cuda/bin/nvcc)
      check_language(CUDA)
      unset(ENV{CUDACXX})
    endif()
    if(NOT CMAKE_CUDA_COMPILER)
      set(_attnc_cuda_missing "no CUDA compiler (nvcc) found")
    endif()
  endif()

  if(_attnc_cuda_missing STREQUAL "")
    # Before enable_language, which would pick the compiler's default
    # architecture (mma.sync, ldmatrix, cp.async need sm_80+).
    # sm_90a: the H100 the kernels are tuned on; sm_80: Ampere, and PTX for newer GPUs.
    if(NOT DEFINED CMAKE_CUDA_ARCHITECTURES AND NOT DEFINED ENV{CUDAARCHS})
      set(CMAKE_CUDA_ARCHITECTURES "90a;80" CACHE STRING "CUDA architectures of runtime/cuda")
    endif()
    enable_language(CUDA)
    find_package(CUDAToolkit)
    if(NOT TARGET CUDA::cublasLt)
      set(_attnc_cuda_missing "cuBLASLt (CUDA toolkit) not found")
    else()
      set(ATTNC_CUDA_ENABLED ON)
      find_program(CCACHE_PROGRAM ccache)
      if(CCACHE_PROGRAM AND NOT DEFINED CMAKE_CUDA_COMPILER_LAUNCHER)
        set(CMAKE_CUDA_COMPILER_LAUNCHER "${CCACHE_PROGRAM}")
      endif()
      message(STATUS "attnc: CUDA kernels (runtime/cuda) with nvcc ${CMAKE_CUDA_COMPILER_VERSION}, "
                     "architectures ${CMAKE_CUDA_ARCHITECTURES}")
    endif()
  endif()

  if(NOT ATTNC_CUDA_ENABLED)
    if(_attnc_cuda_mode STREQUAL "ON")
      message(FATAL_ERROR "ATTNC_CUDA=ON but ${_attnc_cuda_missing}. Install the CUDA "
                          "toolkit and put nvcc on PATH (or set CMAKE_CUDA_COMPILER or CUDACXX), "
                          "or configure with -DATTNC_CUDA=OFF.")
    endif()
    message(STATUS "attnc: ${_attnc_cuda_missing}; skipping the CUDA kernels (runtime/cuda)")
  endif()
endif()
