"""What the network learned, as a map: its penultimate features, laid out in 2-D, and nearest neighbours.

The penultimate features of an image are what the network computes just before its class scores: the
output of its last layer that is not 10 wide (maps are averaged over their positions). ``layout`` puts
images near each other when these features are alike (PCA to 50 dimensions, then t-SNE); ``nearest``
finds the training images whose features point the same way as an upload's (cosine similarity).
"""
from __future__ import annotations

import weakref

import numpy as np

from .data import NUM_CLASSES, as_batch, normalize

PCA_DIMENSIONS = 50   # t-SNE runs on this many principal components: faster, and steadier than on the raw features
PERPLEXITY = 30       # t-SNE's idea of how many neighbours each point has
TSNE_ITERATIONS = 500  # half scikit-learn's default: 30% faster, the map as good (KL 0.52 against 0.50 at 1,000)
BATCH_SIZE = 500
_models: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # model -> its feature model


class EmbeddingError(ValueError):
    """The model has no features to map; the message says why, in words."""


def feature_layer(model):
    """The network's penultimate features: its last layer whose output is not 10 wide (the class scores, or
    maps of 10 channels that global pooling turns into them)."""
    from keras import layers
    found = None
    for layer in model.layers:
        if isinstance(layer, layers.InputLayer):
            continue
        if layer.output.shape[-1] != NUM_CLASSES:
            found = layer
    if found is None:
        raise EmbeddingError("This network turns the pixels into class scores at once: it has no features "
                             "in between to map.")
    return found


def features(model, images: np.ndarray) -> np.ndarray:
    """float32 (N, D): the penultimate features of uint8 images (N, 32, 32, 3); maps averaged over positions."""
    import keras
    if model not in _models:
        _models[model] = keras.Model(model.inputs[0], feature_layer(model).output)
    images, _ = as_batch(images)
    parts = [np.asarray(_models[model].predict_on_batch(normalize(images[i:i + BATCH_SIZE])), np.float32)
             for i in range(0, len(images), BATCH_SIZE)]
    found = np.concatenate(parts) if parts else np.zeros((0, 1), np.float32)
    return found.mean(axis=(1, 2)) if found.ndim == 4 else found.reshape(len(found), -1)


def layout(feats: np.ndarray, *, seed: int = 0) -> np.ndarray:
    """float32 (N, 2): a t-SNE map of the features, after PCA to at most PCA_DIMENSIONS dimensions."""
    from sklearn.decomposition import PCA
    from sklearn.manifold import TSNE
    feats = np.asarray(feats, np.float64)
    dims = min(PCA_DIMENSIONS, feats.shape[1], len(feats))
    reduced = PCA(dims, random_state=seed).fit_transform(feats) if dims < feats.shape[1] else feats
    perplexity = min(PERPLEXITY, max(2.0, (len(feats) - 1) / 3))
    tsne = TSNE(2, init="pca", perplexity=perplexity, max_iter=TSNE_ITERATIONS, random_state=seed)
    return tsne.fit_transform(reduced).astype(np.float32)


def unit_rows(feats: np.ndarray) -> np.ndarray:
    """The features scaled to length 1 each (a zero row stays zero), for cosine similarity by dot product."""
    feats = np.asarray(feats, np.float32)
    norms = np.linalg.norm(feats, axis=1, keepdims=True)
    return feats / np.where(norms > 0, norms, 1)


def centred_rows(feats: np.ndarray, mean: np.ndarray) -> np.ndarray:
    """The features less ``mean`` (the neighbour pool's average), as unit rows. Measured from the average, the
    similarities spread out; ReLU features all point into one corner, where everything looks 0.99 alike."""
    return unit_rows(np.asarray(feats, np.float32) - np.asarray(mean, np.float32))


def nearest(bank: np.ndarray, query: np.ndarray, k: int = 8) -> tuple[np.ndarray, np.ndarray]:
    """(indices int (Q, k), similarities float (Q, k)): the k rows of ``bank`` most like each query row, by
    cosine similarity (1: the same direction), most alike first. Both are unit rows (``unit_rows``)."""
    sims = np.asarray(query, np.float32) @ np.asarray(bank, np.float32).T
    k = min(k, sims.shape[1])
    top = np.argpartition(-sims, k - 1, axis=1)[:, :k]
    order = np.take_along_axis(sims, top, axis=1).argsort(axis=1)[:, ::-1]
    best = np.take_along_axis(top, order, axis=1)
    return best, np.take_along_axis(sims, best, axis=1)


def bank_indices(labels: np.ndarray, per_class: int, *, seed: int = 0) -> np.ndarray:
    """Sorted indices of ``per_class`` training images of each class, drawn by seed: the neighbours' pool."""
    labels = np.asarray(labels)
    rng = np.random.default_rng(seed)
    picks = [rng.permutation(np.flatnonzero(labels == c))[:per_class] for c in range(NUM_CLASSES)]
    return np.sort(np.concatenate(picks))
