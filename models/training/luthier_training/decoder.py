"""The DDSP decoder (RnnFcDecoder) and the streaming interface the plugin calls.

`RnnFcDecoder` follows magenta/ddsp's `RnnFcDecoder` (Engel et al. 2020, "DDSP: Differentiable
Digital Signal Processing"): f0 and loudness, each scaled and passed through its own MLP, feed a
GRU; the GRU output and both MLP outputs go through a last MLP and a linear layer, and DDSP's
exp_sigmoid turns the result into non-negative synthesizer parameters:

    output 0        amplitude (overall, linear)
    outputs 1..K    harmonic weights, NOT normalised: the Rust synth applies its Nyquist taper
                    and then renormalises, so normalising here would be undone anyway
    outputs K+1..   noise filter magnitudes, B bands (band b centred on b * 375 Hz)

Input scaling is part of the model (so it is part of the exported graph, and the plugin feeds
raw Hz and dB): f0 -> hz_to_midi(max(f0, 1 Hz)) / 127, loudness -> dB / 80 + 1.

`StreamingDecoder` wraps it with the exact signature of the exported graph, `(f0_hz[N,T],
loudness_db[N,T], state_in[N,H]) -> (amplitude[N,T], harmonics[N,T,K], noise[N,T,B],
state_out[N,H])`; see its docstring for the state semantics.
"""

import math

import torch
from torch import nn

# DDSP's scaling constants (ddsp.spectral_ops: F0_RANGE, DB_RANGE).
F0_RANGE = 127.0
DB_RANGE = 80.0
# Below 1 Hz "pitch" means "no pitch"; the clamp also keeps log2 finite at f0 = 0.
F0_FLOOR_HZ = 1.0
# DDSP's fc layers use tf.nn.leaky_relu, whose default slope is 0.2 (PyTorch's is 0.01).
LEAKY_SLOPE = 0.2

DEFAULT_HARMONICS = 100
DEFAULT_NOISE_BANDS = 65


def hz_to_midi(f0_hz: torch.Tensor) -> torch.Tensor:
    """MIDI note number of a frequency: 12 * log2(f / 440) + 69."""
    return 12.0 * torch.log2(f0_hz / 440.0) + 69.0


def scale_f0(f0_hz: torch.Tensor) -> torch.Tensor:
    """f0 in Hz -> DDSP's network input: MIDI / 127 (about 0..1 over the musical range)."""
    return hz_to_midi(torch.clamp(f0_hz, min=F0_FLOOR_HZ)) / F0_RANGE


def scale_loudness(loudness_db: torch.Tensor) -> torch.Tensor:
    """Loudness in dB -> DDSP's network input: dB / 80 + 1 (-80 dB -> 0, 0 dB -> 1)."""
    return loudness_db / DB_RANGE + 1.0


def exp_sigmoid(x: torch.Tensor) -> torch.Tensor:
    """DDSP's output nonlinearity: 2 * sigmoid(x)**ln(10) + 1e-7.

    Positive, bounded by 2, and exponential-like in x over most of its range, which suits
    amplitudes; the 1e-7 floor keeps the synth's normalisations away from 0 / 0.
    """
    return 2.0 * torch.sigmoid(x) ** math.log(10.0) + 1e-7


def mlp(in_size: int, hidden: int, layers: int = 3) -> nn.Sequential:
    """DDSP's fc_stack: `layers` x [Linear, LayerNorm, LeakyReLU], all `hidden` wide."""
    modules: list[nn.Module] = []
    for i in range(layers):
        modules += [
            nn.Linear(in_size if i == 0 else hidden, hidden),
            nn.LayerNorm(hidden),
            nn.LeakyReLU(LEAKY_SLOPE),
        ]
    return nn.Sequential(*modules)


class RnnFcDecoder(nn.Module):
    """DDSP's RnnFcDecoder: (f0_hz, loudness_db, GRU state) -> synth parameters, new state.

    Shapes: f0_hz and loudness_db are [N, T] (N sequences, T frames); `gru_state` is in
    PyTorch's GRU layout [1, N, hidden] (None means zeros). Returns amplitude [N, T],
    harmonics [N, T, K], noise [N, T, B] and the GRU state after the last frame [1, N, hidden].
    """

    def __init__(
        self,
        hidden: int = 64,
        harmonics: int = DEFAULT_HARMONICS,
        noise_bands: int = DEFAULT_NOISE_BANDS,
        noise_bias: float = 0.0,
    ):
        super().__init__()
        self.hidden = hidden
        # Added to the noise logits before exp_sigmoid: DDSP's FilteredNoise uses -5 so that
        # noise starts quiet and training grows it where the sound needs it. (0 for the test
        # decoders, which predate it.)
        self.noise_bias = noise_bias
        self.harmonics = harmonics
        self.noise_bands = noise_bands
        self.f0_mlp = mlp(1, hidden)
        self.loudness_mlp = mlp(1, hidden)
        self.gru = nn.GRU(2 * hidden, hidden, batch_first=True)
        self.out_mlp = mlp(3 * hidden, hidden)
        self.out_linear = nn.Linear(hidden, 1 + harmonics + noise_bands)

    def forward(self, f0_hz, loudness_db, gru_state=None, reset=None, active=None):
        f0 = self.f0_mlp(scale_f0(f0_hz).unsqueeze(-1))
        loudness = self.loudness_mlp(scale_loudness(loudness_db).unsqueeze(-1))
        x = torch.cat([f0, loudness], dim=-1)
        if reset is None and active is None:
            rnn_out, gru_state = self.gru(x, gru_state)
        else:
            rnn_out, gru_state = self.gru_as_played(x, gru_state, reset, active)
        x = self.out_mlp(torch.cat([rnn_out, f0, loudness], dim=-1))
        logits = self.out_linear(x)
        amplitude = exp_sigmoid(logits[..., 0])
        harmonics = exp_sigmoid(logits[..., 1 : 1 + self.harmonics])
        noise = exp_sigmoid(logits[..., 1 + self.harmonics :] + self.noise_bias)
        return amplitude, harmonics, noise, gru_state


    def gru_as_played(self, x, gru_state, reset, active):
        """The GRU as the plugin's effect runs it: `reset` [N, T] (bool) zeroes the state before
        a frame, and frames where `active` [N, T] is false leave it as it was (the plugin does
        not decode a silent voice). The same equations as nn.GRU, one frame at a time."""
        n, t, _ = x.shape
        hidden = self.hidden
        h = x.new_zeros(n, hidden) if gru_state is None else gru_state[0]
        reset = torch.zeros(n, t, dtype=torch.bool) if reset is None else reset
        active = torch.ones(n, t, dtype=torch.bool) if active is None else active
        # The input side for all frames at once; only the state side needs the loop.
        gates_x = x @ self.gru.weight_ih_l0.T + self.gru.bias_ih_l0
        outputs = []
        for j in range(t):
            h = torch.where(reset[:, j, None], torch.zeros_like(h), h)
            gates_h = h @ self.gru.weight_hh_l0.T + self.gru.bias_hh_l0
            r = torch.sigmoid(gates_x[:, j, :hidden] + gates_h[:, :hidden])
            z = torch.sigmoid(gates_x[:, j, hidden : 2 * hidden] + gates_h[:, hidden : 2 * hidden])
            candidate = torch.tanh(gates_x[:, j, 2 * hidden :] + r * gates_h[:, 2 * hidden :])
            h = torch.where(active[:, j, None], (1 - z) * candidate + z * h, h)
            outputs.append(h)
        return torch.stack(outputs, dim=1), h[None]


class StreamingDecoder(nn.Module):
    """The decoder as the plugin calls it: a block of T frames for N voices at a time.

    Inputs: f0_hz [N, T] (Hz), loudness_db [N, T] (dB), state_in [N, H] (H = GRU size).
    Outputs: amplitude [N, T], harmonics [N, T, K], noise [N, T, B], state_out [N, H].

    State semantics: the GRU's hidden state is the decoder's only memory. `state_out` of one
    call is `state_in` of the next call for the same voice, so feeding T frames in one call or
    in several consecutive calls gives the same outputs. All zeros is the reset state (what a
    fresh voice starts from). Voices are independent: row n of the state belongs to voice n.

    The state is [N, H] here, rather than the GRU's [1, N, H], so that the graph's interface
    has no layer axis for the caller to manage.
    """

    def __init__(self, decoder: RnnFcDecoder):
        super().__init__()
        self.decoder = decoder

    def forward(self, f0_hz, loudness_db, state_in):
        amplitude, harmonics, noise, gru_state = self.decoder(
            f0_hz, loudness_db, state_in.unsqueeze(0)
        )
        return amplitude, harmonics, noise, gru_state.squeeze(0)
