// A TypeDoc plugin (typedoc.json "plugin"): every export of the package (functions, classes,
// interfaces, types and constants, at the top level and in the nn/optim/data/io namespaces)
// needs an @example in its doc comment. TypeDoc's own notDocumented check catches a missing
// comment; this catches a comment without an example. Each miss is a validation warning, which
// treatWarningsAsErrors turns into a failed build that lists them all.
import { Application, ReflectionKind } from 'typedoc';

const EXPORT_KINDS = ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.Function | ReflectionKind.TypeAlias |
  ReflectionKind.Variable | ReflectionKind.Enum;

/** @param {import('typedoc').Application} app */
export function load(app) {
  app.on(Application.EVENT_VALIDATE_PROJECT, (project) => {
    const visit = (container) => {
      for (const r of container.children ?? []) {
        if (r.kindOf(ReflectionKind.SomeModule)) {
          visit(r);
          continue;
        }
        if (!r.kindOf(EXPORT_KINDS)) continue;
        const comments = [r.comment, ...(r.signatures ?? []).map((s) => s.comment)];
        // a comment-less export is already reported by notDocumented
        if (!comments.some((c) => c) || comments.some((c) => c?.getTag('@example'))) continue;
        // the same wording as TypeDoc's own "does not have any documentation" warnings
        const id = project.getSymbolIdFromReflection(r);
        const where = id ? `, defined in ${id.packageName}/${id.packagePath}` : '';
        app.logger.warn(`${r.getFriendlyFullName()} (${ReflectionKind[r.kind]})${where}, has a doc comment without an @example`);
      }
    };
    visit(project);
  });
}
