import { useMemo } from 'react';
import { z } from 'zod';
import type { ProviderSpec } from '../../../shared/provider-spec';

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
        if (enumValues) {
          return (
            <label key={key} className="field" htmlFor={id}>
              {label}
              <select id={id} value={cur === undefined ? '' : String(cur)} onChange={(e) => set(key, e.target.value === '' ? undefined : enumValues.find((x) => String(x) === e.target.value))}>
                <option value="">{s.default !== undefined ? `Default (${String(s.default)})` : 'Default'}</option>
                {enumValues.map((v) => (
                  <option key={String(v)} value={String(v)}>
                    {String(v)}
                  </option>
                ))}
              </select>
              {help && <span className="help">{help}</span>}
            </label>
          );
        }
        if (type === 'boolean') {
          return (
            <label key={key} className="field" htmlFor={id}>
              {label}
              <select id={id} value={cur === undefined ? '' : String(cur)} onChange={(e) => set(key, e.target.value === '' ? undefined : e.target.value === 'true')}>
                <option value="">{s.default !== undefined ? `Default (${s.default ? 'on' : 'off'})` : 'Default'}</option>
                <option value="true">On</option>
                <option value="false">Off</option>
              </select>
              {help && <span className="help">{help}</span>}
            </label>
          );
        }
        if (type === 'number' || type === 'integer') {
          return (
            <label key={key} className="field" htmlFor={id}>
              {label}
              <input
                id={id}
                type="number"
                min={s.minimum}
                max={s.maximum}
                step={type === 'integer' ? 1 : 'any'}
                placeholder={s.default !== undefined ? String(s.default) : ''}
                value={cur === undefined ? '' : String(cur)}
                onChange={(e) => set(key, e.target.value === '' ? undefined : Number(e.target.value))}
              />
              {help && <span className="help">{help}</span>}
            </label>
          );
        }
        if (type === 'string') {
          return (
            <label key={key} className="field" htmlFor={id}>
              {label}
              <input id={id} type="text" placeholder={s.default !== undefined ? String(s.default) : ''} value={cur === undefined ? '' : String(cur)} onChange={(e) => set(key, e.target.value)} />
              {help && <span className="help">{help}</span>}
            </label>
          );
        }
        return (
          <label key={key} className="field" htmlFor={id}>
            {label} (JSON)
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
            {help && <span className="help">{help}</span>}
          </label>
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
