"""Dropout variants built on the core's stream: one module per family.

- `noise`: noise shapes (a mask broadcast over x), the engine of the others;
- `spatial`: spatial (channel) dropout;
- `alpha`: alpha and feature-alpha dropout for SELU networks;
- `structured`: DropPath (stochastic depth);
- `mc`: Monte Carlo dropout;
- `fused`: bias + dropout + residual add;
- `layers`: the layer classes.
"""
