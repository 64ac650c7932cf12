package jsscope

import (
	"github.com/grafana/sobek/ast"
	"github.com/grafana/sobek/file"
)

type programT = ast.Program

// walker collects function scopes. The AST has no visitor, so a type switch
// walks it and passes the naming context (the name a function literal in
// that position would get) down.
type walker struct {
	scopes []*node
}

func off(i file.Idx) int { return int(i) - 1 }

func ident(id *ast.Identifier) []rawPart {
	if id == nil {
		return nil
	}
	return []rawPart{{name: string(id.Name), off: off(id.Idx)}}
}

func (w *walker) add(start, end file.Idx, parts []rawPart, kind scopeKind) {
	w.scopes = append(w.scopes, &node{start: off(start), end: off(end), parts: parts, kind: kind})
}

// keepName recognises esbuild's keepNames wrapper, always on in wrangler
// builds: __name(function(…){…}, "name") sets the function's name to the
// original one, the string, whatever the minifier calls the helper. Only a
// call of a plain name with a function and a string literal that is an
// identifier qualifies.
func keepName(e *ast.CallExpression) ([]rawPart, bool) {
	if len(e.ArgumentList) != 2 {
		return nil, false
	}
	if _, ok := e.Callee.(*ast.Identifier); !ok {
		return nil, false
	}
	switch e.ArgumentList[0].(type) {
	case *ast.FunctionLiteral, *ast.ArrowFunctionLiteral:
	default:
		return nil, false
	}
	lit, ok := e.ArgumentList[1].(*ast.StringLiteral)
	if !ok || !isIdentifierName(string(lit.Value)) {
		return nil, false
	}
	return []rawPart{{name: string(lit.Value), off: off(lit.Idx), keepName: true}}, true
}

func isIdentifierName(s string) bool {
	if s == "" {
		return false
	}
	for i, r := range s {
		switch {
		case r == '_' || r == '$' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r > 0x7f:
		case i > 0 && r >= '0' && r <= '9':
		default:
			return false
		}
	}
	return true
}

func (w *walker) stmts(list []ast.Statement) {
	for _, s := range list {
		w.stmt(s)
	}
}

func (w *walker) stmt(s ast.Statement) {
	switch s := s.(type) {
	case nil:
	case *ast.BlockStatement:
		if s != nil {
			w.stmts(s.List)
		}
	case *ast.ExpressionStatement:
		w.expr(s.Expression, nil)
	case *ast.VariableStatement:
		w.bindings(s.List)
	case *ast.LexicalDeclaration:
		w.bindings(s.List)
	case *ast.FunctionDeclaration:
		w.function(s.Function, nil)
	case *ast.ClassDeclaration:
		w.class(s.Class, nil)
	case *ast.IfStatement:
		w.expr(s.Test, nil)
		w.stmt(s.Consequent)
		w.stmt(s.Alternate)
	case *ast.ReturnStatement:
		w.expr(s.Argument, nil)
	case *ast.ThrowStatement:
		w.expr(s.Argument, nil)
	case *ast.TryStatement:
		w.stmt(s.Body)
		if s.Catch != nil {
			w.target(s.Catch.Parameter)
			w.stmt(s.Catch.Body)
		}
		if s.Finally != nil {
			w.stmt(s.Finally)
		}
	case *ast.ForStatement:
		switch in := s.Initializer.(type) {
		case *ast.ForLoopInitializerExpression:
			w.expr(in.Expression, nil)
		case *ast.ForLoopInitializerVarDeclList:
			w.bindings(in.List)
		case *ast.ForLoopInitializerLexicalDecl:
			w.bindings(in.LexicalDeclaration.List)
		}
		w.expr(s.Test, nil)
		w.expr(s.Update, nil)
		w.stmt(s.Body)
	case *ast.ForInStatement:
		w.forInto(s.Into)
		w.expr(s.Source, nil)
		w.stmt(s.Body)
	case *ast.ForOfStatement:
		w.forInto(s.Into)
		w.expr(s.Source, nil)
		w.stmt(s.Body)
	case *ast.WhileStatement:
		w.expr(s.Test, nil)
		w.stmt(s.Body)
	case *ast.DoWhileStatement:
		w.stmt(s.Body)
		w.expr(s.Test, nil)
	case *ast.SwitchStatement:
		w.expr(s.Discriminant, nil)
		for _, c := range s.Body {
			w.stmt(c)
		}
	case *ast.CaseStatement:
		w.expr(s.Test, nil)
		w.stmts(s.Consequent)
	case *ast.LabelledStatement:
		w.stmt(s.Statement)
	case *ast.WithStatement:
		w.expr(s.Object, nil)
		w.stmt(s.Body)
	case *ast.ExportDeclaration:
		w.export(s)
	}
}

func (w *walker) export(s *ast.ExportDeclaration) {
	// "default" has no token of its own in the AST; its part points at
	// `export`.
	def := []rawPart{{name: "default", off: off(s.Idx)}}
	switch {
	case s.Variable != nil:
		w.bindings(s.Variable.List)
	case s.LexicalDeclaration != nil:
		w.bindings(s.LexicalDeclaration.List)
	case s.ClassDeclaration != nil:
		if s.IsDefault {
			w.class(s.ClassDeclaration.Class, def)
		} else {
			w.class(s.ClassDeclaration.Class, nil)
		}
	case s.HoistableDeclaration != nil && s.HoistableDeclaration.FunctionDeclaration != nil:
		fn := s.HoistableDeclaration.FunctionDeclaration.Function
		if s.IsDefault {
			w.function(fn, def)
		} else {
			w.function(fn, nil)
		}
	case s.AssignExpression != nil:
		if s.IsDefault {
			w.expr(s.AssignExpression, def)
		} else {
			w.expr(s.AssignExpression, nil)
		}
	}
}

func (w *walker) forInto(into ast.ForInto) {
	switch in := into.(type) {
	case *ast.ForIntoVar:
		w.bindings([]*ast.Binding{in.Binding})
	case *ast.ForDeclaration:
		w.target(in.Target)
	case *ast.ForIntoExpression:
		w.expr(in.Expression, nil)
	}
}

func (w *walker) bindings(list []*ast.Binding) {
	for _, b := range list {
		w.binding(b)
	}
}

// binding names a function or class initializer after its identifier.
func (w *walker) binding(b *ast.Binding) {
	if b == nil {
		return
	}
	if id, ok := b.Target.(*ast.Identifier); ok {
		w.expr(b.Initializer, ident(id))
		return
	}
	w.target(b.Target)
	w.expr(b.Initializer, nil)
}

// target walks a binding pattern for default values.
func (w *walker) target(t ast.BindingTarget) {
	switch t := t.(type) {
	case *ast.ObjectPattern:
		w.expr(t, nil)
	case *ast.ArrayPattern:
		w.expr(t, nil)
	}
}

func (w *walker) params(pl *ast.ParameterList) {
	if pl == nil {
		return
	}
	w.bindings(pl.List)
	w.expr(pl.Rest, nil)
}

// function records a function literal: its own identifier wins over the
// context name.
func (w *walker) function(fn *ast.FunctionLiteral, ctx []rawPart) {
	if fn == nil {
		return
	}
	parts, kind := ctx, kindFunction
	switch {
	case len(ctx) == 1 && ctx[0].keepName:
		kind = kindNamed // keepNames gave it its original name
	case fn.Name != nil:
		parts, kind = ident(fn.Name), kindNamed
	}
	w.add(fn.Idx0(), fn.Idx1(), parts, kind)
	w.params(fn.ParameterList)
	w.stmt(fn.Body)
}

func (w *walker) arrow(fn *ast.ArrowFunctionLiteral, ctx []rawPart) {
	kind := kindArrow
	if len(ctx) == 1 && ctx[0].keepName {
		kind = kindNamed // keepNames gave it its original name
	}
	w.add(fn.Idx0(), fn.Idx1(), ctx, kind)
	w.params(fn.ParameterList)
	switch b := fn.Body.(type) {
	case *ast.BlockStatement:
		w.stmt(b)
	case *ast.ExpressionBody:
		w.expr(b.Expression, nil)
	}
}

// class walks a class: constructors are named after the class, methods
// (including get/set/static) Class.method, field initializers Class.field.
func (w *walker) class(c *ast.ClassLiteral, ctx []rawPart) {
	if c == nil {
		return
	}
	cls := ctx
	if c.Name != nil {
		cls = ident(c.Name)
	}
	w.expr(c.SuperClass, nil)
	for _, el := range c.Body {
		switch el := el.(type) {
		case *ast.MethodDefinition:
			var parts []rawPart
			key, ok := keyPart(el.Key, el.Computed)
			switch {
			case ok && key.name == "constructor" && el.Kind == ast.PropertyKindMethod && !el.Static:
				parts = cls
			case ok:
				// V8 names accessors "Class.get name" / "Class.set name".
				switch el.Kind {
				case ast.PropertyKindGet:
					key.prefix = "get "
				case ast.PropertyKindSet:
					key.prefix = "set "
				}
				parts = appendParts(cls, key)
			}
			if el.Computed {
				w.expr(el.Key, nil)
			}
			if el.Body != nil {
				w.add(el.Idx0(), el.Idx1(), parts, kindNamed)
				w.params(el.Body.ParameterList)
				w.stmt(el.Body.Body)
			}
		case *ast.FieldDefinition:
			if el.Computed {
				w.expr(el.Key, nil)
			}
			var parts []rawPart
			if key, ok := keyPart(el.Key, el.Computed); ok {
				parts = appendParts(cls, key)
			}
			w.expr(el.Initializer, parts)
		case *ast.ClassStaticBlock:
			w.stmt(el.Block)
		}
	}
}

func appendParts(prefix []rawPart, p rawPart) []rawPart {
	out := make([]rawPart, 0, len(prefix)+1)
	out = append(out, prefix...)
	return append(out, p)
}

// keyPart names a property key: identifier, string or number literal, or
// private name (#x).
func keyPart(k ast.Expression, computed bool) (rawPart, bool) {
	switch k := k.(type) {
	case *ast.Identifier:
		if computed {
			return rawPart{}, false
		}
		return rawPart{name: string(k.Name), off: off(k.Idx), stable: true}, true
	case *ast.PrivateIdentifier:
		return rawPart{name: "#" + string(k.Name), off: off(k.Idx), stable: true}, true
	case *ast.StringLiteral:
		return rawPart{name: string(k.Value), off: off(k.Idx), stable: true}, true
	case *ast.NumberLiteral:
		return rawPart{name: k.Literal, off: off(k.Idx), stable: true}, true
	}
	return rawPart{}, false
}

// assignTarget names `a.b.c = function…` after the chain a, b, c (a leading
// `this` is dropped; bracket members with literal keys count).
func assignTarget(e ast.Expression) []rawPart {
	switch e := e.(type) {
	case *ast.Identifier:
		return ident(e)
	case *ast.ThisExpression:
		return []rawPart{}
	case *ast.DotExpression:
		left := assignTarget(e.Left)
		if left == nil {
			return nil
		}
		return appendParts(left, rawPart{name: string(e.Identifier.Name), off: off(e.Identifier.Idx), stable: true})
	case *ast.PrivateDotExpression:
		left := assignTarget(e.Left)
		if left == nil {
			return nil
		}
		return appendParts(left, rawPart{name: "#" + string(e.Identifier.Name), off: off(e.Identifier.Idx), stable: true})
	case *ast.BracketExpression:
		left := assignTarget(e.Left)
		if left == nil {
			return nil
		}
		if k, ok := keyPart(e.Member, false); ok {
			return appendParts(left, k)
		}
	}
	return nil
}

// expr walks an expression; ctx is the name a function or class literal at
// this position gets.
func (w *walker) expr(e ast.Expression, ctx []rawPart) {
	switch e := e.(type) {
	case nil:
	case *ast.FunctionLiteral:
		w.function(e, ctx)
	case *ast.ArrowFunctionLiteral:
		w.arrow(e, ctx)
	case *ast.ClassLiteral:
		w.class(e, ctx)
	case *ast.AssignExpression:
		parts := assignTarget(e.Left)
		if len(parts) == 0 {
			parts = nil
			w.expr(e.Left, nil)
		}
		w.expr(e.Right, parts)
	case *ast.ObjectLiteral:
		for _, p := range e.Value {
			switch p := p.(type) {
			case *ast.PropertyKeyed:
				if p.Computed {
					w.expr(p.Key, nil)
				}
				var parts []rawPart
				if k, ok := keyPart(p.Key, p.Computed); ok {
					parts = []rawPart{k}
				}
				if fn, ok := p.Value.(*ast.FunctionLiteral); ok && p.Kind != ast.PropertyKindValue && fn.Name == nil {
					// Methods and accessors: the scope starts at the key.
					w.add(p.Key.Idx0(), fn.Idx1(), parts, kindNamed)
					w.params(fn.ParameterList)
					w.stmt(fn.Body)
					continue
				}
				w.expr(p.Value, parts)
			case *ast.PropertyShort:
				w.expr(p.Initializer, ident(&p.Name))
			case *ast.SpreadElement:
				w.expr(p.Expression, nil)
			}
		}
	case *ast.ObjectPattern:
		for _, p := range e.Properties {
			switch p := p.(type) {
			case *ast.PropertyKeyed:
				if p.Computed {
					w.expr(p.Key, nil)
				}
				w.expr(p.Value, nil)
			case *ast.PropertyShort:
				w.expr(p.Initializer, ident(&p.Name))
			}
		}
		w.expr(e.Rest, nil)
	case *ast.ArrayLiteral:
		for _, v := range e.Value {
			w.expr(v, nil)
		}
	case *ast.ArrayPattern:
		for _, v := range e.Elements {
			w.expr(v, nil)
		}
		w.expr(e.Rest, nil)
	case *ast.Binding:
		w.binding(e)
	case *ast.SpreadElement:
		w.expr(e.Expression, nil)
	case *ast.YieldExpression:
		w.expr(e.Argument, nil)
	case *ast.AwaitExpression:
		w.expr(e.Argument, nil)
	case *ast.BinaryExpression:
		w.expr(e.Left, nil)
		w.expr(e.Right, nil)
	case *ast.BracketExpression:
		w.expr(e.Left, nil)
		w.expr(e.Member, nil)
	case *ast.CallExpression:
		w.expr(e.Callee, nil)
		if name, ok := keepName(e); ok {
			w.expr(e.ArgumentList[0], name)
			return
		}
		for _, a := range e.ArgumentList {
			w.expr(a, nil)
		}
	case *ast.NewExpression:
		w.expr(e.Callee, nil)
		for _, a := range e.ArgumentList {
			w.expr(a, nil)
		}
	case *ast.ConditionalExpression:
		w.expr(e.Test, nil)
		w.expr(e.Consequent, nil)
		w.expr(e.Alternate, nil)
	case *ast.DotExpression:
		w.expr(e.Left, nil)
	case *ast.PrivateDotExpression:
		w.expr(e.Left, nil)
	case *ast.OptionalChain:
		w.expr(e.Expression, nil)
	case *ast.Optional:
		w.expr(e.Expression, nil)
	case *ast.SequenceExpression:
		for _, x := range e.Sequence {
			w.expr(x, nil)
		}
	case *ast.TemplateLiteral:
		w.expr(e.Tag, nil)
		for _, x := range e.Expressions {
			w.expr(x, nil)
		}
	case *ast.UnaryExpression:
		w.expr(e.Operand, nil)
	}
}
