"""Explore the data: a grid of samples, one image up close and as numbers, the classes, augmentation."""
import streamlit as st

from cifar_demo import charts, data, pictures, ui
from cifar_demo.glossary import link

ui.page_guard()
from cifar_demo.ui import explore as view  # after the guard: the heavier imports
from cifar_demo.ui import widgets

cifar = ui.load_data()
st.title("Explore the data")
st.caption("CIFAR-10 is 60,000 photos of 32×32 pixels. This is all a network gets to learn from.")
samples, classes_tab, augment_tab = st.tabs(["Samples", "Classes", "Augmentation"], key="explore_tab",
                                            on_change="rerun")

with samples:
    split, classes, seed = view.sample_controls()
    images, labels = cifar.split(split)
    order = data.sample_indices(labels, classes=classes or None, seed=seed)
    pages = pictures.page_count(len(order), view.PER_PAGE)
    shown, page = pictures.page_of(order, st.pagination(pages, key="explore_page", on_change=view.new_page),
                                   view.PER_PAGE)
    first = (page - 1) * view.PER_PAGE
    st.caption(f"Page {page:,} of {pages:,}: images {first + 1:,}–{first + len(shown):,} of the {len(order):,} "
               f"{split} images shown, shuffled with seed {seed}. Each image is enlarged 3×, pixel by pixel. "
               "**Click an image's class** to open it up close, on the right.")
    index = view.open_index(len(labels), int(shown[0]) if len(shown) else 0)
    grid, close_up = st.columns([3, 2], gap="large")
    with grid:
        view.sample_grid(images, labels, shown)
    with close_up:
        st.subheader("One image up close", divider="gray")
        index = view.pick_index(len(labels))
        image = images[index]
        widgets.show_pixels(image, zoom=view.LARGE,
                            caption=f"#{index} · {data.CLASS_NAMES[labels[index]]} · {split} split · 256 px for 32")
        st.markdown("To the network an image is only numbers: 32 rows × 32 columns × 3 colours (red, green, "
                    "blue), stored as whole numbers 0–255. Before training, every number is divided by 255, "
                    "so that the network gets values between 0 and 1.")
        st.table(view.pixel_stages(image), hide_index=True, border="horizontal")
        row = st.slider("Pixel row", 0, image.shape[0] - 1, image.shape[0] // 2,
                        help="Which of the 32 rows of pixels to read as numbers, top to bottom.")
        widgets.show_pixels(image[[row] * 3], zoom=view.LARGE, caption=f"Row {row}: 32 pixels, their values below")
        st.dataframe(pictures.pixel_row(image, row), hide_index=True, height=250, width=360,
                     column_config={"x": "Column", "red": "Red", "green": "Green", "blue": "Blue"})

with classes_tab:
    st.markdown("Every class has the same number of images in each split: the data set is **balanced**, "
                "so a model that always answers one class scores 10%.")
    counts = {name: data.class_counts(cifar.split(name)[1]) for name in ("train", "test")}
    st.plotly_chart(ui.presented(charts.class_counts(counts)), height=ui.scaled(300), config={"displayModeBar": False})
    mean_split = st.segmented_control("Mean image of each class, over the split", ["train", "test"],
                                      default="train", required=True, key="explore_mean_split")
    if classes_tab.open:
        widgets.show_pixels(view.mean_images(mean_split), zoom=view.THUMB, caption=list(data.CLASS_NAMES),
                            per_row=10)
    st.caption("Averaging thousands of photos blurs every object away; what is left is the typical colour "
               "and layout of a class: blue sky or sea around planes and ships, green around deer and frogs.")

with augment_tab:
    st.markdown(f"Training can show the network a slightly changed copy of image **#{index}** each time: "
                "mirrored, shifted a few pixels (the edge is filled by reflection), or with a square "
                f"greyed out (cutout): {link('augmentation')}. More variety, less memorising "
                f"({link('overfitting')}). These copies are made by the very code that changes the images "
                "during training.")
    amounts = view.augmentation_controls()
    if augment_tab.open:
        from cifar_demo import augment  # only now: it loads TensorFlow
        copies = augment.augmented_copies(image, n=8, seed=view.draw_seed(), **amounts)
        widgets.show_pixels([image, *copies], zoom=view.THUMB,
                            caption=["original", *(f"copy {i}" for i in range(1, 9))], per_row=9)
