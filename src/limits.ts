/**
 * Size limits, checked before anything is allocated, so a tiny input that declares an absurd
 * size (a shape, a model spec, an IDX header behind a gzip bomb) fails at once with a typed
 * error instead of exhausting memory.
 */

/** The most elements one tensor can hold: the typed-array length limit of V8 (2^32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 32;

/**
 * The most bytes a reader allocates for a tensor whose size a file declares rather than holds
 * (an IDX file behind gzip): 2 GiB, 45 times MNIST's training images as float32.
 */
export const MAX_DECODED_BYTES = 2 ** 31;

/**
 * The most parameters a model spec may declare (from --model or a model file's metadata):
 * 2^28, i.e. 1 GiB of float32 weights before the optimizer's buffers.
 */
export const MAX_MODEL_PARAMETERS = 2 ** 28;
