import { useEffect, useMemo, useState, type ReactNode } from 'react';
import { z } from 'zod';
import type { ProviderSpec } from '../../../shared/provider-spec';
import type { ProviderId } from '../../../shared/providers';
import { call, useStore } from '../store';

/** Parameters whose values come from the provider's own lists (personas, voices, templates, projects). */
const PICKERS: Partial<Record<ProviderId, Readonly<Record<string, string>>>> = {
  creatify: { creator: 'personas', accent: 'voices', template_id: 'templates' },
  oshara: { reference_voice: 'voices' },
  techforge: { project_id: 'projects' },
};

type Option = Readonly<{ value: string; label: string; detail?: string }>;

/** Loads a provider's picker list once the provider has a key; the field stays free text either way. */
function usePickerOptions(provider: ProviderId): Readonly<Record<string, readonly Option[]>> {
  const configured = useStore((s) => s.providers.find((p) => p.id === provider)?.configured ?? false);
  const [lists, setLists] = useState<Record<string, readonly Option[]>>({});
  useEffect(() => {
    const wanted = PICKERS[provider];
    if (!wanted || !configured) return;
    let alive = true;
    for (const [param, list] of Object.entries(wanted)) {
      void call('providers:options', { provider, list }, { quiet: true }).then((opts) => {
        if (alive && opts?.length) setLists((cur) => ({ ...cur, [param]: opts }));
      });
    }
    return () => {
      alive = false;
    };
  }, [provider, configured]);
  return lists;
}

type JsonSchema = {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  anyOf?: JsonSchema[];
  oneOf?: JsonSchema[];
  description?: string;
  default?: unknown;
  minimum?: number;
  maximum?: number;
  properties?: Record<string, JsonSchema>;
};

/** Form fields generated from a provider's zod parameter schema (via JSON Schema). */
export function ParamsForm({ spec, value, onChange, idPrefix }: { spec: ProviderSpec; value: Record<string, unknown>; onChange: (v: Record<string, unknown>) => void; idPrefix: string }) {
  const schema = useMemo(() => {
    try {
      return z.toJSONSchema(spec.params, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
    } catch {
      return { properties: {} } as JsonSchema;
    }
  }, [spec]);
  const props = Object.entries(schema.properties ?? {});
  const options = usePickerOptions(spec.id);
  if (!props.length) return <p className="muted small">No settings for {spec.displayName}.</p>;
  const set = (k: string, v: unknown) => {
    const next = { ...value };
    if (v === undefined || v === '') delete next[k];
    else next[k] = v;
    onChange(next);
  };
  return (
    <div className="params">
      {props.map(([key, s]) => {
        const id = `${idPrefix}-${key}`;
        const label = labelOf(key);
        const help = s.description;
        const enumValues = enumOf(s);
        const cur = value[key];
        const type = typeOf(s);
        const field = (control: ReactNode, suffix = '') => (
          <label key={key} className="field" htmlFor={id}>
            {label}
            {suffix}
            {control}
            {help && <span className="help">{help}</span>}
          </label>
        );
        if (enumValues) {
          return field(
              <>
              <select id={id} value={cur === undefined ? '' : String(cur)} onChange={(e) => set(key, e.target.value === '' ? undefined : enumValues.find((x) => String(x) === e.target.value))}>
                <option value="">{s.default !== undefined ? `Default (${String(s.default)})` : 'Default'}</option>
                {enumValues.map((v) => (
                  <option key={String(v)} value={String(v)}>
                    {String(v)}
                  </option>
                ))}
              </select>
              </>,
          );
        }
        if (type === 'boolean') {
          return field(
              <>
              <select id={id} value={cur === undefined ? '' : String(cur)} onChange={(e) => set(key, e.target.value === '' ? undefined : e.target.value === 'true')}>
                <option value="">{s.default !== undefined ? `Default (${s.default ? 'on' : 'off'})` : 'Default'}</option>
                <option value="true">On</option>
                <option value="false">Off</option>
              </select>
              </>,
          );
        }
        const picks = options[key];
        const list = picks ? (
          <datalist id={`${id}-list`}>
            {picks.map((o) => (
              <option key={o.value} value={o.value}>
                {o.detail ? `${o.label} — ${o.detail}` : o.label}
              </option>
            ))}
          </datalist>
        ) : null;
        if (type === 'number' || type === 'integer') {
          return field(
              <>
              {list}
              <input
                id={id}
                list={picks ? `${id}-list` : undefined}
                type="number"
                min={s.minimum}
                max={s.maximum}
                step={type === 'integer' ? 1 : 'any'}
                placeholder={s.default !== undefined ? String(s.default) : ''}
                value={cur === undefined ? '' : String(cur)}
                onChange={(e) => set(key, e.target.value === '' ? undefined : Number(e.target.value))}
              />
              </>,
          );
        }
        if (type === 'string') {
          return field(
              <>
              {list}
              <input
                id={id}
                type="text"
                list={picks ? `${id}-list` : undefined}
                placeholder={picks ? `Choose from ${picks.length} or type an id` : s.default !== undefined ? String(s.default) : ''}
                value={cur === undefined ? '' : String(cur)}
                onChange={(e) => set(key, e.target.value)}
              />
              </>,
          );
        }
        return field(
            <>
            <textarea
              id={id}
              rows={2}
              className="mono"
              defaultValue={cur === undefined ? '' : JSON.stringify(cur)}
              onBlur={(e) => {
                const t = e.target.value.trim();
                if (!t) return set(key, undefined);
                try {
                  set(key, JSON.parse(t) as unknown);
                } catch {
                  set(key, t);
                }
              }}
            />
            </>,
            ' (JSON)',
        );
      })}
    </div>
  );
}

function labelOf(key: string): string {
  const s = key.replace(/_/g, ' ');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function enumOf(s: JsonSchema): unknown[] | null {
  if (s.enum) return s.enum;
  const alts = s.anyOf ?? s.oneOf;
  if (alts && alts.every((a) => a.const !== undefined || a.enum)) return alts.flatMap((a) => (a.enum ? a.enum : [a.const]));
  return null;
}

function typeOf(s: JsonSchema): string | undefined {
  if (typeof s.type === 'string') return s.type;
  if (Array.isArray(s.type)) return s.type.find((t) => t !== 'null');
  const alts = s.anyOf ?? s.oneOf;
  return alts?.map(typeOf).find((t) => t && t !== 'null');
}
