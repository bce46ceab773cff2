module github.com/polytrace/polytrace

go 1.26
