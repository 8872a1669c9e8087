from nnviz.cli import main

main()
