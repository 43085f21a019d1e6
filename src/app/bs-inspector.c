/* bs-inspector.c: details of the selected cell: both layers, CKA, its
 * standard error, the minibatches behind it, and its row and column profile. */
#include "bs-config.h"

#include "bs-inspector.h"

#include <glib/gi18n.h>

#include "bs-number-format.h"
#include "bs-profile-chart.h"

#include <math.h>

struct _BsInspector
{
  GtkWidget       parent_instance;

  gboolean        showing;

  GtkStack       *stack;
  BsCkaMeasure    measure;
  BsCkaSnapshot  *snapshot;       /* shown, with the PC1 analysis when computed */
  guint           row;
  guint           col;
  GtkLabel       *measure_heading;
  GtkGrid        *pc1_grid;
  GtkLabel       *pc1_values[5];  /* share A, share B, then each measure */
  GtkLabel       *value_label;
  GtkLabel       *error_label;
  GtkLabel       *batches_label;
  GtkLabel       *a_title;
  GtkLabel       *a_name;
  GtkLabel       *a_kind;
  GtkLabel       *a_shape;
  GtkLabel       *a_features;
  GtkLabel       *a_position;
  GtkLabel       *b_title;
  GtkLabel       *b_name;
  GtkLabel       *b_kind;
  GtkLabel       *b_shape;
  GtkLabel       *b_features;
  GtkLabel       *b_position;
  BsProfileChart *profile_chart;
  GtkLabel       *row_legend;
  GtkLabel       *col_legend;
  GtkBox         *extra_box;
};

G_DEFINE_FINAL_TYPE (BsInspector, bs_inspector, GTK_TYPE_WIDGET)

static void
show_layer (const BsLayerInfo *info,
            const char        *title_text,
            GtkLabel          *title,
            GtkLabel          *name,
            GtkLabel          *kind,
            GtkLabel          *shape,
            GtkLabel          *features,
            GtkLabel          *position)
{
  g_autofree char *shape_text = NULL;
  g_autofree char *features_text = bs_format_count (bs_layer_info_n_features (info));
  g_autofree char *position_text = NULL;

  if (info->height == 1 && info->width == 1)
    shape_text = g_strdup_printf ("%u", info->channels);
  else
    shape_text = g_strdup_printf ("%u × %u × %u", info->channels, info->height, info->width);

  if (info->stage == BS_LAYER_STAGE_STEM)
    position_text = g_strdup (_("Stem"));
  else if (info->stage == BS_LAYER_STAGE_HEAD)
    position_text = g_strdup (_("Head"));
  else if (info->stage > 0 && info->block >= 0 && info->block_output)
    /* Translators: where a layer sits in a ResNet: stage and residual block, counted from 1 and 0. */
    position_text = g_strdup_printf (_("Stage %d, block %d (block output)"), info->stage, info->block);
  else if (info->stage > 0 && info->block >= 0)
    position_text = g_strdup_printf (_("Stage %d, block %d"), info->stage, info->block);
  else if (info->stage > 0)
    position_text = g_strdup_printf (_("Stage %d"), info->stage);
  else
    position_text = g_strdup ("—");

  gtk_label_set_label (title, title_text);
  gtk_label_set_label (name, info->name ? info->name : "?");
  gtk_label_set_label (kind, bs_layer_kind_describe (info->kind));
  gtk_label_set_label (shape, shape_text);
  gtk_label_set_label (features, features_text);
  gtk_label_set_label (position, position_text);
}

static char *
legend_markup (const GdkRGBA *color,
               const char    *text)
{
  g_autofree char *escaped = g_markup_escape_text (text, -1);

  return g_strdup_printf ("<span foreground=\"#%02x%02x%02x\" weight=\"bold\">━━</span>  %s",
                          (int) (color->red * 255), (int) (color->green * 255),
                          (int) (color->blue * 255),
                          escaped);
}

/* The chart's colours follow the theme, and so does the legend. */
static void
update_legend (BsInspector *self)
{
  g_autofree char *row_text = NULL;
  g_autofree char *col_text = NULL;
  GdkRGBA row_color, col_color;

  bs_profile_chart_get_colors (self->profile_chart, &row_color, &col_color);
  row_text = legend_markup (&row_color, _("Layer A against every layer of B"));
  col_text = legend_markup (&col_color, _("Every layer of A against layer B"));
  gtk_label_set_markup (self->row_legend, row_text);
  gtk_label_set_markup (self->col_legend, col_text);
}

static void
bs_inspector_css_changed (GtkWidget         *widget,
                          GtkCssStyleChange *change)
{
  BsInspector *self = BS_INSPECTOR (widget);

  GTK_WIDGET_CLASS (bs_inspector_parent_class)->css_changed (widget, change);

  /* A new colour scheme changes every widget's style, this one's too. */
  if (self->showing)
    update_legend (self);
}

static char *
format_value (double value,
              double std_error)
{
  if (isnan (value))
    return g_strdup ("—");
  if (isnan (std_error))
    return g_strdup_printf ("%.3f", value);
  return g_strdup_printf ("%.3f ± %.3f", value, std_error);
}

/* Both layers' PC1 shares and the cell in every measure, when computed. */
static void
show_pc1 (BsInspector   *self,
          BsCkaSnapshot *snapshot,
          guint          row,
          guint          col)
{
  double value, se;

  gtk_widget_set_visible (GTK_WIDGET (self->pc1_grid), bs_cka_snapshot_has_pc1 (snapshot));
  if (!bs_cka_snapshot_has_pc1 (snapshot))
    return;

  for (guint i = 0; i < G_N_ELEMENTS (self->pc1_values); i++)
    {
      g_autofree char *text = NULL;

      if (i == 0)
        value = bs_cka_snapshot_get_row_pc1_share (snapshot, row, &se);
      else if (i == 1)
        value = bs_cka_snapshot_get_col_pc1_share (snapshot, col, &se);
      else
        {
          BsCkaSnapshot *m = bs_cka_snapshot_get_measure (snapshot, (BsCkaMeasure) (i - 2));

          value = m != NULL ? bs_cka_snapshot_get_value (m, row, col) : NAN;
          se = m != NULL ? bs_cka_snapshot_get_std_error (m, row, col) : NAN;
        }
      text = format_value (value, se);
      gtk_label_set_label (self->pc1_values[i], text);
    }
}

void
bs_inspector_set_measure (BsInspector  *self,
                          BsCkaMeasure  measure)
{
  g_return_if_fail (BS_IS_INSPECTOR (self));

  if (self->measure == measure)
    return;
  self->measure = measure;
  if (self->showing && self->snapshot != NULL)
    {
      g_autoptr(BsCkaSnapshot) snapshot = bs_cka_snapshot_ref (self->snapshot);

      bs_inspector_show_cell (self, snapshot, self->row, self->col);
    }
}

const char *
bs_inspector_get_pc1_text (BsInspector *self,
                           guint        i)
{
  g_return_val_if_fail (BS_IS_INSPECTOR (self) && i < G_N_ELEMENTS (self->pc1_values), NULL);

  return self->showing && gtk_widget_get_visible (GTK_WIDGET (self->pc1_grid))
         ? gtk_label_get_label (self->pc1_values[i]) : NULL;
}

void
bs_inspector_show_cell (BsInspector   *self,
                        BsCkaSnapshot *snapshot,
                        guint          row,
                        guint          col)
{
  g_autofree char *value_text = NULL;
  g_autofree char *error_text = NULL;
  g_autofree char *batches_text = NULL;
  g_autofree char *a_title = NULL;
  g_autofree char *b_title = NULL;
  double cka, se;

  g_return_if_fail (BS_IS_INSPECTOR (self));

  if (snapshot == NULL || row >= bs_cka_snapshot_get_n_rows (snapshot) ||
      col >= bs_cka_snapshot_get_n_cols (snapshot))
    {
      self->showing = FALSE;
      g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);
      gtk_stack_set_visible_child_name (self->stack, "empty");
      bs_profile_chart_set (self->profile_chart, NULL, 0, 0);
      return;
    }

  self->showing = TRUE;
  if (snapshot != self->snapshot)
    {
      bs_cka_snapshot_ref (snapshot);
      g_clear_pointer (&self->snapshot, bs_cka_snapshot_unref);
      self->snapshot = snapshot;
    }
  self->row = row;
  self->col = col;
  show_pc1 (self, snapshot, row, col);
  /* The measure the heatmap shows, or CKA when this snapshot lacks it. */
  if (bs_cka_snapshot_get_measure (snapshot, self->measure) != NULL)
    snapshot = bs_cka_snapshot_get_measure (snapshot, self->measure);
  gtk_label_set_label (self->measure_heading,
                       bs_cka_snapshot_get_label (snapshot));
  cka = bs_cka_snapshot_get_value (snapshot, row, col);
  se = bs_cka_snapshot_get_std_error (snapshot, row, col);

  if (isnan (cka))
    {
      const char *reason = bs_cka_snapshot_cell_reason (snapshot, row, col);

      value_text = g_strdup ("—");
      error_text = g_strdup ("");
      /* Translators: %s says why a cell has no CKA value. */
      batches_text = g_strdup_printf (_("No value: %s."), reason ? reason : _("undefined"));
    }
  else
    {
      guint done = bs_cka_snapshot_get_minibatches_done (snapshot);

      value_text = g_strdup_printf ("%.3f", cka);
      guint batch = bs_cka_snapshot_get_batch_size (snapshot);

      error_text = isnan (se) ? g_strdup ("") : g_strdup_printf (_("± %.3f standard error"), se);
      if (done < bs_cka_snapshot_get_minibatches_total (snapshot))
        /* Translators: minibatches and the images in each. */
        batches_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Mean over %u minibatch of %u images so far",
                                                     "Mean over %u minibatches of %u images so far", done),
                                        done, batch);
      else
        /* Translators: minibatches and the images in each. */
        batches_text = g_strdup_printf (g_dngettext (GETTEXT_PACKAGE, "Mean over %u minibatch of %u images",
                                                     "Mean over %u minibatches of %u images", done),
                                        done, batch);
    }

  gtk_label_set_label (self->value_label, value_text);
  gtk_label_set_label (self->error_label, error_text);
  gtk_label_set_label (self->batches_label, batches_text);

  /* Translators: the heading of the row layer's details; %u is its index. */
  a_title = g_strdup_printf (_("Model A · layer %u (row)"), row);
  /* Translators: the heading of the column layer's details; %u is its index. */
  b_title = g_strdup_printf (_("Model B · layer %u (column)"), col);
  show_layer (bs_cka_snapshot_get_row (snapshot, row), a_title, self->a_title, self->a_name,
              self->a_kind, self->a_shape, self->a_features, self->a_position);
  show_layer (bs_cka_snapshot_get_col (snapshot, col), b_title, self->b_title, self->b_name,
              self->b_kind, self->b_shape, self->b_features, self->b_position);

  bs_profile_chart_set (self->profile_chart, snapshot, row, col);
  update_legend (self);

  gtk_stack_set_visible_child_name (self->stack, "cell");
}

const char *
bs_inspector_get_layer_a_name (BsInspector *self)
{
  g_return_val_if_fail (BS_IS_INSPECTOR (self), NULL);

  return self->showing ? gtk_label_get_label (self->a_name) : NULL;
}

const char *
bs_inspector_get_layer_b_name (BsInspector *self)
{
  g_return_val_if_fail (BS_IS_INSPECTOR (self), NULL);

  return self->showing ? gtk_label_get_label (self->b_name) : NULL;
}

const char *
bs_inspector_get_value_text (BsInspector *self)
{
  g_return_val_if_fail (BS_IS_INSPECTOR (self), NULL);

  return self->showing ? gtk_label_get_label (self->value_label) : NULL;
}

void
bs_inspector_add_extra (BsInspector *self,
                        GtkWidget   *widget)
{
  g_return_if_fail (BS_IS_INSPECTOR (self));
  gtk_box_append (self->extra_box, widget);
}

static void
bs_inspector_dispose (GObject *object)
{
  g_clear_pointer (&BS_INSPECTOR (object)->snapshot, bs_cka_snapshot_unref);
  gtk_widget_dispose_template (GTK_WIDGET (object), BS_TYPE_INSPECTOR);

  G_OBJECT_CLASS (bs_inspector_parent_class)->dispose (object);
}

static void
bs_inspector_class_init (BsInspectorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bs_inspector_dispose;
  widget_class->css_changed = bs_inspector_css_changed;

  g_type_ensure (BS_TYPE_PROFILE_CHART);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/blockscope/Blockscope/bs-inspector.ui");
  gtk_widget_class_bind_template_child (widget_class, BsInspector, stack);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, measure_heading);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, pc1_grid);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, value_label);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, error_label);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, batches_label);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, a_title);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, a_name);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, a_kind);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, a_shape);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, a_features);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, a_position);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, b_title);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, b_name);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, b_kind);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, b_shape);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, b_features);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, b_position);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, profile_chart);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, row_legend);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, col_legend);
  gtk_widget_class_bind_template_child (widget_class, BsInspector, extra_box);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "inspector");
}

static void
bs_inspector_init (BsInspector *self)
{
  static const char *names[] = {
    N_("PC1 share of layer A"),
    N_("PC1 share of layer B"),
  };

  gtk_widget_init_template (GTK_WIDGET (self));

  for (guint i = 0; i < G_N_ELEMENTS (self->pc1_values); i++)
    {
      GtkWidget *name = gtk_label_new (i < 2 ? _(names[i]) : bs_cka_measure_get_label ((BsCkaMeasure) (i - 2)));
      GtkWidget *value = gtk_label_new (NULL);

      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_widget_add_css_class (name, "dim-label");
      gtk_label_set_xalign (GTK_LABEL (value), 0);
      /* Not selectable: five more Tab stops before the profiles. */
      gtk_widget_add_css_class (value, "numeric");
      /* The value's accessible name says what it is. */
      gtk_accessible_update_relation (GTK_ACCESSIBLE (value), GTK_ACCESSIBLE_RELATION_LABELLED_BY, name, NULL, -1);
      gtk_grid_attach (self->pc1_grid, name, 0, (int) i, 1, 1);
      gtk_grid_attach (self->pc1_grid, value, 1, (int) i, 1, 1);
      self->pc1_values[i] = GTK_LABEL (value);
    }
}

GtkWidget *
bs_inspector_new (void)
{
  return g_object_new (BS_TYPE_INSPECTOR, NULL);
}
