"""The reasons a trial's failure is recorded with: CUDA out of memory in the knobs' words."""

from spikesweep.platform.run.trainable import oom_text


def test_out_of_memory_names_batch_size_timesteps_and_gpu_share():
    config = {"batch_size": 256, "timesteps": 8}
    assert oom_text(config, 0.25) == "out of memory: batch_size 256 at T=8 needs more than 0.25 GPU"
    assert oom_text(config, None) == "out of memory: batch_size 256 at T=8 needs more than the GPU memory free to it"
