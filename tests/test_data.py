import io
import os
import pickle
import tarfile

import numpy as np
import pytest

from cifar_demo import data


def _batch(n, seed=0, label_offset=0):
    rng = np.random.default_rng(seed)
    return {b"batch_label": b"x", b"labels": [(i + label_offset) % 10 for i in range(n)],
            b"data": rng.integers(0, 256, (n, 3072), dtype=np.uint8)}


def _archive(path, batches: dict[str, bytes]):
    with tarfile.open(path, "w:gz") as tar:
        for name, payload in batches.items():
            info = tarfile.TarInfo(f"{data.FOLDER}/{name}")
            info.size = len(payload)
            tar.addfile(info, io.BytesIO(payload))
    return path


def _small_archive(path, n=20):
    names = data.TRAIN_BATCHES + (data.TEST_BATCH,)
    return _archive(path, {name: pickle.dumps(_batch(n, i), protocol=4) for i, name in enumerate(names)})


class Evil:
    def __reduce__(self):
        return (os.system, ("touch /tmp/cifar-demo-pwned",))


def test_real_archive_shapes_labels_and_balance(cifar):
    assert cifar.x_train.shape == (50000, 32, 32, 3) and cifar.x_train.dtype == np.uint8
    assert cifar.x_test.shape == (10000, 32, 32, 3)
    assert (data.class_counts(cifar.y_train) == 5000).all()
    assert (data.class_counts(cifar.y_test) == 1000).all()
    assert cifar.y_test[:5].tolist() == [3, 8, 8, 0, 6]  # cat, ship, ship, airplane, frog: the official order


def test_pixel_layout_is_rgb_planes_to_hwc(tmp_path, monkeypatch):
    batch = _batch(2)
    path = _archive(tmp_path / "a.tar.gz", {n: pickle.dumps(batch) for n in data.TRAIN_BATCHES + (data.TEST_BATCH,)})
    decoded = data.decode(path)
    row = batch[b"data"][1]
    # pixel (row 0, column 5): red at 5, green at 1024 + 5, blue at 2048 + 5
    assert decoded.x_test[1, 0, 5].tolist() == [row[5], row[1024 + 5], row[2048 + 5]]


def test_second_load_reads_the_cache_not_the_archive(monkeypatch, tmp_path, cifar):
    monkeypatch.setattr(data, "decode", lambda source: pytest.fail("decoded again instead of using the cache"))
    again = data.load()
    assert isinstance(again.x_train, np.memmap)
    assert np.array_equal(again.x_test[:100], cifar.x_test[:100])


def test_unpacked_folder_and_its_parent_both_work(tmp_path, monkeypatch):
    folder = tmp_path / "parent" / data.FOLDER
    folder.mkdir(parents=True)
    for i, name in enumerate(data.TRAIN_BATCHES + (data.TEST_BATCH,)):
        (folder / name).write_bytes(pickle.dumps(_batch(10, i)))
    monkeypatch.setenv("CIFAR_DEMO_CACHE", str(tmp_path / "cache"))
    for path in (folder, folder.parent):
        monkeypatch.setenv("CIFAR10_PATH", str(path))
        loaded = data.load()
        assert loaded.x_train.shape == (50, 32, 32, 3) and loaded.x_test.shape == (10, 32, 32, 3)


def test_malicious_pickle_is_refused_and_never_runs(tmp_path, monkeypatch):
    marker = "/tmp/cifar-demo-pwned"
    if os.path.exists(marker):
        os.remove(marker)
    names = data.TRAIN_BATCHES + (data.TEST_BATCH,)
    batches = {n: pickle.dumps(_batch(5)) for n in names}
    batches["data_batch_3"] = pickle.dumps({b"data": Evil(), b"labels": [0]})
    monkeypatch.setenv("CIFAR10_PATH", str(_archive(tmp_path / "evil.tar.gz", batches)))
    with pytest.raises(data.DataError, match=r"data_batch_3 was refused: .*posix\.system|os\.system"):
        data.load(download=False)
    assert not os.path.exists(marker)


@pytest.mark.parametrize("module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_unpickler_admits_numpy_arrays_under_both_module_names(module):
    array = np.arange(12, dtype=np.uint8).reshape(3, 4)
    # protocol 3 (no framing) writes globals as text lines, so the module name can be swapped
    payload = pickle.dumps({b"data": array, b"labels": [1, 2, 3]}, protocol=3)
    for current in (b"numpy._core.multiarray", b"numpy.core.multiarray"):
        payload = payload.replace(current + b"\n", module.encode() + b"\n")
    assert module.encode() in payload
    assert np.array_equal(data.safe_unpickle(payload)[b"data"], array)


@pytest.mark.parametrize("name", ["builtins\neval", "subprocess\ncall", "numpy\nload"])
def test_unpickler_refuses_any_other_global(name):
    module, attr = name.split("\n")
    payload = b"c" + module.encode() + b"\n" + attr.encode() + b"\n."
    with pytest.raises(pickle.UnpicklingError, match=f"refused to load global {module}.{attr}"):
        data.safe_unpickle(payload)


def test_missing_path_names_it_and_says_what_to_do(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_PATH", str(tmp_path / "nope.tar.gz"))
    with pytest.raises(data.DataError, match=r"nope\.tar\.gz, which does not exist\. Set it to"):
        data.load()


def test_truncated_archive_gives_a_clear_error(tmp_path, monkeypatch):
    whole = _small_archive(tmp_path / "whole.tar.gz", n=200).read_bytes()
    cut = tmp_path / "cut.tar.gz"
    cut.write_bytes(whole[: len(whole) // 2])
    monkeypatch.setenv("CIFAR10_PATH", str(cut))
    with pytest.raises(data.DataError, match=r"cut\.tar\.gz could not be read .*truncated or corrupt"):
        data.load(download=False)


def test_garbage_file_gives_a_clear_error(tmp_path, monkeypatch):
    junk = tmp_path / "junk.tar.gz"
    junk.write_bytes(b"this is not an archive" * 100)
    monkeypatch.setenv("CIFAR10_PATH", str(junk))
    with pytest.raises(data.DataError, match="junk.tar.gz could not be read"):
        data.load(download=False)


def test_archive_without_batches_is_named(tmp_path, monkeypatch):
    monkeypatch.setenv("CIFAR10_PATH", str(_archive(tmp_path / "other.tar.gz", {"readme.html": b"hi"})))
    with pytest.raises(data.DataError, match="has no cifar-10-batches-py/data_batch_1"):
        data.load(download=False)


def test_batch_with_wrong_shape_is_refused(tmp_path, monkeypatch):
    names = data.TRAIN_BATCHES + (data.TEST_BATCH,)
    batches = {n: pickle.dumps(_batch(5)) for n in names}
    batches["test_batch"] = pickle.dumps({b"data": np.zeros((5, 100), np.uint8), b"labels": [0] * 5})
    monkeypatch.setenv("CIFAR10_PATH", str(_archive(tmp_path / "shape.tar.gz", batches)))
    with pytest.raises(data.DataError, match=r"test_batch has data of shape \(5, 100\)"):
        data.load(download=False)


def test_no_data_and_no_download_says_how_to_get_it(tmp_path, monkeypatch):
    monkeypatch.delenv("CIFAR10_PATH")
    monkeypatch.setenv("KERAS_HOME", str(tmp_path))
    with pytest.raises(data.DataError, match="set CIFAR10_PATH"):
        data.load(download=False)


def test_normalize_numpy_and_tensorflow_agree():
    import tensorflow as tf
    x = np.array([[0, 51, 255]], dtype=np.uint8)
    assert np.allclose(data.normalize(x), [[0, 0.2, 1]])
    assert np.allclose(data.normalize(tf.constant(x)).numpy(), data.normalize(x))


def test_sampling_is_seeded_and_filters_by_class():
    labels = np.array([0, 1, 2, 1, 0, 1])
    a = data.sample_indices(labels, classes=[1], seed=3)
    assert sorted(a.tolist()) == [1, 3, 5]
    assert np.array_equal(a, data.sample_indices(labels, classes=[1], seed=3))


def test_mean_images_match_numpy():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (30, 32, 32, 3), dtype=np.uint8)
    labels = np.arange(30) % 10
    means = data.mean_images(images, labels)
    assert np.array_equal(means[4], np.round(images[labels == 4].mean(axis=0)).astype(np.uint8))
