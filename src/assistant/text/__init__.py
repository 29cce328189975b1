"""Thai text: normalisation, digit folding, word tokens, sentences."""
