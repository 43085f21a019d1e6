/* bs-heatmap-a11y.c: what the heatmap tells assistive technologies.
 *
 * The role: GTK 4.8 maps each GtkAccessibleRole to an AT-SPI role
 * (gtk/a11y/gtkatspiutils.c), and that role decides what Orca does with the
 * widget. The heatmap is one focusable widget that draws its cells and
 * moves a selection with keys; no cell is a child. GRID would become an
 * AT-SPI table, which promises a Table interface and cells as children:
 * GTK 4.8 has no Table interface for custom widgets, so Orca would speak a
 * table with no rows and its table commands would find nothing. WIDGET,
 * REGION and GENERIC become fillers and GROUP a panel, which Orca treats as
 * layout. IMG becomes an AT-SPI image: a picture with a name and a
 * description, both of which Orca reads when it gets the focus, the same
 * "image with a label" that charts on the web use (role="img"). So IMG,
 * with a label that says what the matrix is and a description that says
 * which cell is selected.
 *
 * The announcement: GTK 4.8 has no gtk_accessible_announce () (4.14).
 * Setting the description emits AT-SPI's
 * object:property-change:accessible-description with the new text, and
 * Orca speaks the new description of the object that has the focus. The
 * description changes when the selected cell does, when that cell gets a
 * value (or loses it to a new computation) and when the computation's last
 * minibatch is in: a value refined by every minibatch between would be
 * spoken once a second over whatever the user is doing. The inspector
 * shows the value of the moment. */
#include "bs-config.h"

#include "bs-a11y.h"
#include "bs-heatmap-private.h"

#include <glib/gi18n.h>
#include <math.h>

/* What the description last said about the selected cell. */
typedef enum {
  CELL_NONE,         /* nothing selected */
  CELL_NOT_COMPUTED, /* selected, before the first minibatch */
  CELL_NO_VALUE,     /* selected, NaN after it (a constant layer, ...) */
  CELL_PARTIAL,      /* a value, more minibatches to come */
  CELL_FINAL,        /* the value after the last minibatch */
} CellState;

struct _BsHeatmapA11y
{
  gboolean        described;
  CellState       state;
  BsCkaMeasure    measure;
  BsCkaStatistic  statistic;
  gboolean        had_pc1;
  char           *blocks;       /* which blocks it described (blocks_key ()) */
  guint           row;
  guint           col;
};

void
_bs_heatmap_a11y_class_init (GtkWidgetClass *widget_class)
{
  /* Why IMG: see the top of this file. */
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

/* Whether the values are CKA itself, which the sentences name as such. */
static gboolean
is_plain_cka (BsCkaSnapshot *snapshot)
{
  return bs_cka_snapshot_get_measure_type (snapshot) == BS_CKA_MEASURE_CKA &&
         bs_cka_snapshot_get_statistic (snapshot) == BS_CKA_STATISTIC_ESTIMATE;
}

static char *
describe_matrix (BsHeatmap *self)
{
  guint n_rows = _bs_heatmap_get_n_rows (self);
  guint n_cols = _bs_heatmap_get_n_cols (self);

  BsCkaSnapshot *shown = bs_heatmap_get_shown_snapshot (self);

  if (n_rows == 0 || shown == NULL)
    return g_strdup (_("CKA heatmap, no matrix yet"));

  if (!is_plain_cka (shown))
    /* Translators: the heatmap's accessible label: the measure shown
     * ("CKA without PC1", "PC1 alignment", "Std. dev. of CKA"), the two
     * models, the layer counts. The noun follows the second number ("71
     * by 197 layers"). */
    return g_strdup_printf (ngettext ("%s between %s and %s, %u by %u layer",
                                      "%s between %s and %s, %u by %u layers", n_cols),
                            bs_cka_snapshot_get_label (shown),
                            self->model_a_name, self->model_b_name, n_rows, n_cols);

  /* The noun follows the second number ("71 by 197 layers"). */
  return g_strdup_printf (ngettext ("CKA between %s and %s, %u by %u layer",
                                    "CKA between %s and %s, %u by %u layers", n_cols),
                          self->model_a_name, self->model_b_name, n_rows, n_cols);
}

static CellState
cell_state (BsHeatmap *self)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_shown_snapshot (self);

  if (!self->has_selection || snapshot == NULL)
    return CELL_NONE;
  if (bs_cka_snapshot_get_minibatches_done (snapshot) == 0)
    return CELL_NOT_COMPUTED;
  if (isnan (bs_cka_snapshot_get_value (snapshot, self->sel_row, self->sel_col)))
    return CELL_NO_VALUE;
  if (bs_cka_snapshot_get_minibatches_done (snapshot) < bs_cka_snapshot_get_minibatches_total (snapshot))
    return CELL_PARTIAL;
  return CELL_FINAL;
}

/* The PC1 shares of the selected cell's layers, or NULL without them. */
static char *
describe_shares (BsHeatmap *self)
{
  double a, a_se, b, b_se;

  if (self->source == NULL || !bs_cka_snapshot_has_pc1 (self->source))
    return NULL;
  a = bs_cka_snapshot_get_row_pc1_share (self->source, self->sel_row, &a_se);
  b = bs_cka_snapshot_get_col_pc1_share (self->source, self->sel_col, &b_se);
  if (isnan (a) || isnan (b))
    return NULL;
  if (isnan (a_se) || isnan (b_se))
    /* Translators: the PC1 shares (fraction of variance on the first
     * principal component) of the selected row's and column's layers. */
    return g_strdup_printf (_("PC1 share of the row layer %.3f, of the column layer %.3f"), a, b);
  /* Translators: as above, each with its standard error. */
  return g_strdup_printf (_("PC1 share of the row layer %.3f ± %.3f, of the column layer %.3f ± %.3f"),
                          a, a_se, b, b_se);
}

/* What the PC1 share strips are, while no cell is selected (a selected
 * cell's layers then have their shares read out: describe_shares ()), or
 * NULL without them. The strips say what the drawn label does. */
static char *
describe_strips (BsHeatmap *self)
{
  if (self->has_selection || self->source == NULL || !bs_cka_snapshot_has_pc1 (self->source))
    return NULL;
  /* Translators: the heatmap's description while no cell is selected,
   * when the heatmap has PC1 share strips ("PC1 share" as the strips'
   * label says): the fraction of each layer's variance on its first
   * principal component, in colour. */
  return g_strdup (_("The PC1 share strips above and right of the cells show each layer's PC1 share "
                     "in the colour map."));
}

/* The detected blocks shown, one sentence, or NULL without any. */
static char *
describe_blocks (BsHeatmap *self)
{
  BsCkaSnapshot *shown = bs_heatmap_get_shown_snapshot (self);
  g_autoptr(GString) list = NULL;

  if (!self->show_blocks || self->blocks == NULL || self->blocks->len == 0 || shown == NULL)
    return NULL;

  list = g_string_new (NULL);
  for (guint i = 0; i < self->blocks->len; i++)
    {
      const BsBlock *block = &g_array_index (self->blocks, BsBlock, i);
      const char *first = bs_cka_snapshot_get_row (shown, block->first)->name;
      const char *last = bs_cka_snapshot_get_row (shown, block->last)->name;

      if (i > 0)
        /* Translators: between the items of the list of detected blocks. */
        g_string_append (list, _("; "));
      /* Translators: one detected block of the heatmap: its first and last
       * layer, its number of layers, the mean CKA of its layers among
       * themselves and with the layers outside it. */
      g_string_append_printf (list, _("%s to %s, %u layers, mean CKA %.3f inside, %.3f to the rest"),
                              first != NULL ? first : "?", last != NULL ? last : "?",
                              block->size, block->mean_inside, block->mean_rest);
    }
  /* Translators: the detected blocks of the heatmap: %u of them, then
   * their list. */
  return g_strdup_printf (g_dngettext (NULL, "%u block detected: %s", "%u blocks detected: %s",
                                       self->blocks->len),
                          self->blocks->len, list->str);
}

/* What the description's blocks depend on: their ranges, and whether the
 * computation is done. Their means change with every minibatch; saying
 * them again each time would make a screen reader repeat itself through a
 * whole computation, so they are described anew when the blocks change
 * and once more with the final values. */
static char *
blocks_key (BsHeatmap *self)
{
  BsCkaSnapshot *shown = bs_heatmap_get_shown_snapshot (self);
  GString *key;

  if (!self->show_blocks || self->blocks == NULL || self->blocks->len == 0 || shown == NULL)
    return NULL;
  key = g_string_new (NULL);
  for (guint i = 0; i < self->blocks->len; i++)
    g_string_append_printf (key, "%u-%u ", g_array_index (self->blocks, BsBlock, i).first,
                            g_array_index (self->blocks, BsBlock, i).last);
  if (bs_cka_snapshot_get_minibatches_done (shown) >= bs_cka_snapshot_get_minibatches_total (shown))
    g_string_append (key, "final");
  return g_string_free (key, FALSE);
}

static char *
describe_value (BsHeatmap *self);

static char *
describe_cell (BsHeatmap *self)
{
  g_autofree char *value = describe_value (self);
  g_autofree char *shares = self->has_selection ? describe_shares (self) : NULL;
  g_autofree char *strips = describe_strips (self);
  g_autofree char *blocks = describe_blocks (self);
  g_autofree char *cell = NULL;

  if (strips != NULL)
    /* Translators: two sentences of the heatmap's description: how to
     * select a cell, then what the PC1 share strips show. */
    cell = g_strdup_printf (_("%s %s"), value, strips);
  else if (shares == NULL)
    cell = g_steal_pointer (&value);
  else
    /* Translators: two sentences of the heatmap's description: the selected
     * cell, then its layers' PC1 shares. */
    cell = g_strdup_printf (_("%s. %s."), value, shares);
  if (blocks == NULL)
    return g_steal_pointer (&cell);
  /* Translators: the heatmap's description: the selected cell (one or two
   * sentences), then the detected blocks. */
  return g_strdup_printf (_("%s %s."), cell, blocks);
}

static char *
describe_value (BsHeatmap *self)
{
  BsCkaSnapshot *snapshot = bs_heatmap_get_shown_snapshot (self);
  const char *a, *b, *reason;
  double cka;

  if (!self->has_selection || snapshot == NULL)
    return g_strdup (_("No cell selected. The arrow keys select one; Page Up and Page Down "
                       "jump between the stages of model A, Ctrl+Page Up and Ctrl+Page Down "
                       "between those of model B."));

  a = bs_cka_snapshot_get_row (snapshot, self->sel_row)->name;
  b = bs_cka_snapshot_get_col (snapshot, self->sel_col)->name;
  a = a != NULL ? a : "?";
  b = b != NULL ? b : "?";
  cka = bs_cka_snapshot_get_value (snapshot, self->sel_row, self->sel_col);
  if (!isnan (cka) && !is_plain_cka (snapshot))
    /* Translators: the selected cell of the heatmap: the layer of model A
     * (row), the layer of model B (column), the measure shown ("CKA
     * without PC1", "PC1 alignment", "Std. dev. of CKA") and its value. */
    return g_strdup_printf (_("Row: %s, column: %s, %s %.3f"), a, b,
                            bs_cka_snapshot_get_label (snapshot), cka);
  if (!isnan (cka))
    /* Translators: the selected cell of the heatmap: the layer of model A
     * (row), the layer of model B (column) and their similarity. */
    return g_strdup_printf (_("Row: %s, column: %s, CKA %.3f"), a, b, cka);

  if (bs_cka_snapshot_get_minibatches_done (snapshot) == 0)
    return g_strdup_printf (_("Row: %s, column: %s, not computed yet"), a, b);

  reason = bs_cka_snapshot_cell_reason (snapshot, self->sel_row, self->sel_col);
  /* Translators: the last %s says why the cell has no value. */
  return g_strdup_printf (_("Row: %s, column: %s, no value: %s"), a, b, reason != NULL ? reason : "?");
}

void
_bs_heatmap_a11y_update (BsHeatmap *self)
{
  BsHeatmapA11y *a11y = self->a11y;
  g_autofree char *label = describe_matrix (self);
  CellState state = cell_state (self);
  BsCkaSnapshot *shown = bs_heatmap_get_shown_snapshot (self);
  BsCkaMeasure measure = shown != NULL ? bs_cka_snapshot_get_measure_type (shown) : BS_CKA_MEASURE_CKA;
  BsCkaStatistic statistic = shown != NULL ? bs_cka_snapshot_get_statistic (shown) : BS_CKA_STATISTIC_ESTIMATE;
  gboolean has_pc1 = self->source != NULL && bs_cka_snapshot_has_pc1 (self->source);
  g_autofree char *blocks = blocks_key (self);

  bs_a11y_set_label (GTK_WIDGET (self), label);

  /* Also when the measure shown changes (or the seeds' statistic of it),
   * and when the PC1 shares arrive. */
  if (!a11y->described || state != a11y->state || measure != a11y->measure || statistic != a11y->statistic ||
      has_pc1 != a11y->had_pc1 ||
      g_strcmp0 (blocks, a11y->blocks) != 0 ||
      (state != CELL_NONE && (self->sel_row != a11y->row || self->sel_col != a11y->col)))
    {
      g_autofree char *description = describe_cell (self);

      a11y->described = TRUE;
      a11y->state = state;
      a11y->measure = measure;
      a11y->statistic = statistic;
      a11y->had_pc1 = has_pc1;
      g_free (a11y->blocks);
      a11y->blocks = g_steal_pointer (&blocks);
      a11y->row = self->sel_row;
      a11y->col = self->sel_col;
      bs_a11y_set_description (GTK_WIDGET (self), description);
    }
}

/* The zoom buttons show icons: their names, by the action they run. */
static void
name_zoom_buttons (BsHeatmap *self)
{
  static const struct {
    const char *action;
    const char *label;
  } names[] = {
    { "heatmap.zoom-out", N_("Zoom Out") },
    { "heatmap.reset-view", N_("Show Everything") },
    { "heatmap.zoom-in", N_("Zoom In") },
  };

  for (GtkWidget *button = gtk_widget_get_first_child (self->zoom_box);
       button != NULL;
       button = gtk_widget_get_next_sibling (button))
    {
      const char *action = gtk_actionable_get_action_name (GTK_ACTIONABLE (button));

      for (guint i = 0; i < G_N_ELEMENTS (names); i++)
        if (g_strcmp0 (action, names[i].action) == 0)
          bs_a11y_set_label (button, _(names[i].label));
    }
}

void
_bs_heatmap_a11y_init (BsHeatmap *self)
{
  self->a11y = g_new0 (BsHeatmapA11y, 1);
  name_zoom_buttons (self);

  /* The GL view only draws the cells the heatmap describes. */
  if (self->gl_view != NULL)
    gtk_accessible_update_state (GTK_ACCESSIBLE (self->gl_view), GTK_ACCESSIBLE_STATE_HIDDEN, TRUE, -1);

  _bs_heatmap_a11y_update (self);
}

void
_bs_heatmap_a11y_free (BsHeatmap *self)
{
  if (self->a11y != NULL)
    g_free (self->a11y->blocks);
  g_clear_pointer (&self->a11y, g_free);
}
