/* bs-compare-job.c: CKA across checkpoints or seeds as a job (see the header). */
#include "bs-config.h"

#include "bs-compare-job.h"

#include <glib/gi18n.h>

#include "bs-number-format.h"

typedef struct {
  gboolean          seeds;        /* across seeds, else across time */
  char            **specs;        /* NULL-terminated */
  guint             n;
  guint            *epochs;       /* convergence: each checkpoint's epoch */
  char             *dataset;
  char             *data_dir;
  guint             limit;
  guint             batch_size;
  guint             passes;
  guint64           seed;
  BsEngineConfig    engine;
  BsDatasetCache   *cache;
  BsJob            *job;          /* the job running this (not a reference) */
  /* Written by the worker, read once the job has succeeded. */
  gboolean          done;
  BsCkaConvergence  convergence;
  BsCkaSeeds        result;
} Compare;

static void
compare_free (gpointer data)
{
  Compare *c = data;

  g_strfreev (c->specs);
  g_free (c->epochs);
  g_free (c->dataset);
  g_free (c->data_dir);
  bs_dataset_cache_unref (c->cache);
  bs_cka_convergence_clear (&c->convergence);
  bs_cka_seeds_clear (&c->result);
  g_free (c);
}

/* On the job's thread, before each CKA job and at the end. */
static void
on_progress (guint    done,
             guint    total,
             gpointer user_data)
{
  Compare *c = user_data;
  g_autofree char *status = NULL;

  if (done < total)
    {
      g_autofree char *i = bs_format_count (done + 1);
      g_autofree char *all = bs_format_count (total);

      status = c->seeds
               /* Translators: pairs of networks compared so far (numbers already formatted). */
               ? g_strdup_printf (_("Comparing pair %s of %s…"), i, all)
               /* Translators: checkpoints compared with the final model so far. */
               : g_strdup_printf (_("Comparing checkpoint %s of %s with the final model…"), i, all);
      bs_job_report_status (c->job, status);
    }
  bs_job_report_progress (c->job, done, total);
}

static gboolean
run (BsJob         *job,
     gpointer       data,
     GCancellable  *cancellable,
     GError       **error)
{
  Compare *c = data;
  g_autoptr(BsDataset) dataset = NULL;
  BsCkaJobOptions options;
  gboolean ok;

  bs_job_report_status (job, _("Loading the images…"));
  dataset = bs_dataset_cache_load_test (c->cache, c->dataset, c->data_dir, NULL, error);
  if (dataset == NULL || g_cancellable_set_error_if_cancelled (cancellable, error))
    return FALSE;

  bs_cka_job_options_init (&options);
  options.dataset = dataset;
  options.limit = c->limit;
  if (c->batch_size > 0)
    options.batch_size = c->batch_size;
  if (c->passes > 0)
    options.passes = c->passes;
  options.seed = c->seed;
  options.engine = &c->engine;
  if (c->seeds)
    ok = bs_cka_seeds_run ((const char *const *) c->specs, c->n, &options, on_progress, c, &c->result,
                           cancellable, error);
  else
    ok = bs_cka_convergence_run ((const char *const *) c->specs, c->n, c->specs[c->n - 1], &options,
                                 on_progress, c, &c->convergence, cancellable, error);
  c->done = ok;
  return ok;
}

static Compare *
compare_new (gboolean                 seeds,
             const char *const       *specs,
             guint                    n,
             const BsCompareProtocol *protocol,
             BsDatasetCache          *cache)
{
  Compare *c = g_new0 (Compare, 1);

  c->seeds = seeds;
  c->specs = g_new0 (char *, n + 1);
  for (guint i = 0; i < n; i++)
    c->specs[i] = g_strdup (specs[i]);
  c->n = n;
  c->dataset = g_strdup (protocol->dataset);
  c->data_dir = g_strdup (protocol->data_dir);
  c->limit = protocol->limit;
  c->batch_size = protocol->batch_size;
  c->passes = protocol->passes;
  c->seed = protocol->seed;
  c->engine = protocol->engine ? *protocol->engine : *bs_engine_config_get_default ();
  c->cache = bs_dataset_cache_ref (cache);
  return c;
}

static BsJob *
attach (Compare    *c,
        const char *title)
{
  BsJob *job = bs_job_new (title, run, c, compare_free);

  c->job = job;
  g_object_set_data (G_OBJECT (job), "bs-compare", c);
  return job;
}

BsJob *
bs_compare_job_new_convergence (const char *const       *checkpoints,
                                const guint             *epochs,
                                guint                    n,
                                const char              *run_title,
                                const BsCompareProtocol *protocol,
                                BsDatasetCache          *cache)
{
  Compare *c;
  g_autofree char *title = NULL;

  g_return_val_if_fail (checkpoints != NULL && epochs != NULL && n > 0 && protocol != NULL &&
                        protocol->dataset != NULL && cache != NULL, NULL);

  c = compare_new (FALSE, checkpoints, n, protocol, cache);
  c->epochs = g_memdup2 (epochs, n * sizeof (guint));
  /* Translators: a job's title: the training run whose layers are followed over its checkpoints. */
  title = g_strdup_printf (_("Layer convergence · %s"), run_title);
  return attach (c, title);
}

BsJob *
bs_compare_job_new_seeds (const char *const       *specs,
                          guint                    n,
                          const BsCompareProtocol *protocol,
                          BsDatasetCache          *cache)
{
  Compare *c;
  g_autofree char *title = NULL;
  g_autofree char *count = NULL;

  g_return_val_if_fail (specs != NULL && protocol != NULL && protocol->dataset != NULL && cache != NULL, NULL);

  c = compare_new (TRUE, specs, n, protocol, cache);
  count = bs_format_count (n);
  /* Translators: a job's title; %s is the number of networks compared (formatted). */
  title = g_strdup_printf (g_dngettext (NULL, "Compare seeds · %s network", "Compare seeds · %s networks", n),
                           count);
  return attach (c, title);
}

static Compare *
get_done (BsJob *job)
{
  Compare *c = g_object_get_data (G_OBJECT (job), "bs-compare");

  /* Written by the worker before the job ends; read once it has. */
  return c != NULL && bs_job_get_state (job) == BS_JOB_SUCCEEDED && c->done ? c : NULL;
}

const BsCkaConvergence *
bs_compare_job_get_convergence (BsJob *job)
{
  Compare *c = get_done (job);

  return c != NULL && !c->seeds ? &c->convergence : NULL;
}

const BsCkaSeeds *
bs_compare_job_get_seeds (BsJob *job)
{
  Compare *c = get_done (job);

  return c != NULL && c->seeds ? &c->result : NULL;
}

const guint *
bs_compare_job_get_epochs (BsJob *job)
{
  Compare *c = g_object_get_data (G_OBJECT (job), "bs-compare");

  return c != NULL ? c->epochs : NULL;
}

const char *const *
bs_compare_job_get_specs (BsJob *job)
{
  Compare *c = g_object_get_data (G_OBJECT (job), "bs-compare");

  return c != NULL ? (const char *const *) c->specs : NULL;
}
