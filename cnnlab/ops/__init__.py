"""Operations: correlation and convolution (1-D, 2-D, batched), pooling, their backward passes."""
