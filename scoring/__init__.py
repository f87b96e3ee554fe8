"""Lead scoring: one feature function for training and serving, ONNX runtime, explanations."""
